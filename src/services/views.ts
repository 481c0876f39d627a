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
    locationId: row.locationId ?? null,
    visitTypeId: row.visitTypeId ?? null,
    seriesId: row.seriesId ?? null,
    videoUrl: row.videoUrl ?? null,
    intake: row.intake ?? null,
  };
}

/** The columns an appointment view is read with in plain SQL, from the table or its alias. */
export function appointmentViewColumns(alias = ''): string {
  const c = alias ? `${alias}.` : '';
  return `${c}id, ${c}doctor_id AS "doctorId", ${c}patient_id AS "patientId", ${c}starts_at AS "startsAt", ${c}ends_at AS "endsAt",
    ${c}status, ${c}channel, ${c}reason, ${c}rescheduled_from AS "rescheduledFrom", ${c}location_id AS "locationId",
    ${c}visit_type_id AS "visitTypeId", ${c}series_id AS "seriesId", ${c}video_url AS "videoUrl"`;
}
