/**
 * Preloaded into a service process by the reliability suite (node --require): with
 * CC_FAULT_AFTER_COMMIT=N, every Nth transaction that committed a new booking throws right after
 * its commit, as if the process had failed there. Counted, never timed, so the test is exact.
 * Test code only: the service itself has no fault switch.
 */
const { Sequelize } = require('sequelize');

const every = Number(process.env.CC_FAULT_AFTER_COMMIT || 0);
if (every > 0) {
  const original = Sequelize.prototype.transaction;
  let committed = 0;
  Sequelize.prototype.transaction = async function transaction(...args) {
    const result = await original.apply(this, args);
    const isNewBooking = result && typeof result === 'object' && result.status === 'booked' && result.doctorId && result.patientId && !result.rescheduledFrom;
    if (isNewBooking && ++committed % every === 0) throw new Error('injected fault right after the commit');
    return result;
  };
}
