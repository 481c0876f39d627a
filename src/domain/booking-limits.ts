/**
 * How much one patient may hold at once, so that a handful of numbers cannot empty the calendar
 * (every booking also costs two reminder texts). The clinic sets the numbers; front-desk bookings
 * by an admin are not capped.
 */
export interface BookingLimits {
  /** Booked appointments still to come, this one included. */
  maxUpcoming: number;
  /** With the same doctor on the same local day of that doctor, this one included. */
  maxPerDoctorPerDay: number;
}

export type LimitBreach = { limit: 'upcoming' | 'doctor-day'; max: number };

/** Whether one more booking, on top of what the patient already holds, breaks a limit. */
export function bookingLimitBreach(held: { upcoming: number; sameDoctorSameDay: number }, limits: BookingLimits): LimitBreach | null {
  if (held.upcoming + 1 > limits.maxUpcoming) return { limit: 'upcoming', max: limits.maxUpcoming };
  if (held.sameDoctorSameDay + 1 > limits.maxPerDoctorPerDay) return { limit: 'doctor-day', max: limits.maxPerDoctorPerDay };
  return null;
}
