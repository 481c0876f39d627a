/** Who is acting. Services take one on every call; it is built from the users table, never from a message. */
export type Role = 'patient' | 'doctor' | 'admin';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'admin'];

export interface Actor {
  userId: string;
  role: Role;
  /** Set when role is patient. */
  patientId?: string | null;
  /** Set when role is doctor. */
  doctorId?: string | null;
  /** The channel the request came through, for the audit log. */
  channel?: string;
  /** The patient's or doctor's own IANA zone, and their name, as known when the actor was built. */
  timeZone?: string;
  name?: string;
  /** The language a patient reads (a catalog code: 'en', 'es'). */
  locale?: string;
}
