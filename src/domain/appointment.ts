/** Appointment states and the moves between them. */
/** 'held': a time kept for a patient while they confirm it (see booking.hold); it expires on its own. */
export type AppointmentStatus = 'booked' | 'cancelled' | 'completed' | 'no_show' | 'held';
export const APPOINTMENT_STATUSES: readonly AppointmentStatus[] = ['booked', 'cancelled', 'completed', 'no_show', 'held'];

/** Statuses that occupy the doctor's and the patient's time (the database constraints use the same set). */
export function occupiesTime(status: AppointmentStatus): boolean {
  return status !== 'cancelled';
}

export interface AppointmentView {
  id: string;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  endsAt: Date;
  status: AppointmentStatus;
  channel: string;
  reason: string | null;
  rescheduledFrom: string | null;
  /** Where, what kind of visit, which series, and the video link of a telehealth visit (read where a view needs them). */
  locationId?: string | null;
  visitTypeId?: string | null;
  seriesId?: string | null;
  videoUrl?: string | null;
  /** The patient's answers to the visit type's intake questions. */
  intake?: Array<{ question: string; answer: string }> | null;
}

/** Only a booked appointment that has not started can be cancelled or moved. */
export function canChange(a: Pick<AppointmentView, 'status' | 'startsAt'>, now: number): string | null {
  if (a.status !== 'booked') return `the appointment is ${a.status.replace('_', '-')}`;
  if (a.startsAt.getTime() <= now) return 'the appointment has already started';
  return null;
}

/** Completed or no-show can be recorded once an appointment has started, and corrected later; never on a cancelled one. */
export function canRecordOutcome(a: Pick<AppointmentView, 'status' | 'startsAt'>, now: number): string | null {
  if (a.status === 'cancelled') return 'the appointment was cancelled';
  if (a.startsAt.getTime() > now) return 'the appointment has not started yet';
  return null;
}
