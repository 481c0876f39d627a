/**
 * Preloaded into a service process by the reliability suite (node --require): with
 * CC_FAULT_AFTER_COMMIT=N, every Nth transaction that committed a new booking throws right after
 * its commit, as if the process had failed there. Counted, never timed, so the test is exact.
 * Test code only: the service itself has no fault switch.
 *
 * A booking commits in the same round trip as its insert (src/db/pipelined-transaction.ts), so the
 * fault is put on the driver's query: a batch that runs the booking's prepared write (`EXECUTE
 * cc_tx_book_…`; as plain text behind PgBouncer, an insert of an appointment that is not a hold nor
 * a move) and ends in COMMIT.
 */
const { Client } = require('pg');

const every = Number(process.env.CC_FAULT_AFTER_COMMIT || 0);
if (every > 0) {
  const original = Client.prototype.query;
  let committed = 0;
  Client.prototype.query = function query(config, ...rest) {
    const text = typeof config === 'string' ? config : config && config.text;
    const write =
      typeof text === 'string' &&
      (/EXECUTE cc_tx_book_/.test(text) || (/INSERT INTO appointments/.test(text) && !/'held'/.test(text) && !/rescheduled_from,\s*created_at/.test(text)));
    const booking = write && /COMMIT\s*$/.test(text);
    const result = original.call(this, config, ...rest);
    if (!booking || !result || typeof result.then !== 'function') return result;
    return result.then((value) => {
      if (++committed % every === 0) throw new Error('injected fault right after the commit');
      return value;
    });
  };
}
