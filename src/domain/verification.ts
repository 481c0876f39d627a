/**
 * The date-of-birth check that stands in for a password on a phone number: a few wrong answers
 * pause it for a while; many in a week lock it until staff clear it, so a known birth year cannot
 * be walked through by patient guessing (288 tries a day under the short rule alone).
 */
export const VERIFY_RULES = {
  /** Wrong answers within `shortWindowMinutes` that pause the check... */
  shortTries: 3,
  shortWindowMinutes: 15,
  /** ...and within `longWindowDays` that lock it until staff clear it (/clinic patients unlock). */
  longTries: 10,
  longWindowDays: 7,
} as const;

export type VerificationState = 'open' | 'paused' | 'locked';

/** What the failures counted since the last clearing mean for the next try. */
export function verificationState(failures: { shortWindow: number; longWindow: number }, lockedByStaffRule: boolean): VerificationState {
  if (lockedByStaffRule || failures.longWindow >= VERIFY_RULES.longTries) return 'locked';
  if (failures.shortWindow >= VERIFY_RULES.shortTries) return 'paused';
  return 'open';
}
