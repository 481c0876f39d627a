import type { AppointmentView } from '../domain/appointment';
import type { AppointmentRow } from '../db/models';

/** Rows never leave the service layer; callers get plain objects. */
export function toAppointmentView(row: AppointmentRow): AppointmentView {
  return {
    id: row.id,
    doctorId: row.doctorId,
    patientId: row.patientId,
    startsAt: new Date(row.startsAt),
    endsAt: new Date(row.endsAt),
    status: row.status,
    channel: row.channel,
    reason: row.reason ?? null,
    rescheduledFrom: row.rescheduledFrom ?? null,
  };
}
