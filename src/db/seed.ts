import type { Db } from './models';
import { insertAdmin, insertDoctor, insertLocation, insertPatient, insertSpecialization, insertVisitType, type HoursSpec } from './records';

/** The demo clinic: enough to try every conversation, in two time zones. */
const SPECIALIZATIONS: Array<[string, string[]]> = [
  ['General Practice', ['gp', 'family', 'general', 'checkup', 'primary care']],
  ['Dermatology', ['skin', 'rash', 'acne', 'mole']],
  ['Cardiology', ['heart', 'blood pressure', 'chest']],
  ['Pediatrics', ['children', 'child', 'kids', 'kid', 'baby', 'toddler', 'son', 'daughter']],
  ['Orthopedics', ['bones', 'bone', 'joints', 'knee', 'back', 'sports injury']],
  ['Neurology', ['brain', 'nerves', 'headache', 'migraine']],
  ['Psychiatry', ['mental health', 'anxiety', 'depression']],
  ['Ear, Nose and Throat', ['ent', 'ear', 'nose', 'throat', 'sinus']],
];

const WEEKDAYS = [1, 2, 3, 4, 5];
/** Hours, and where they are worked (a location's name below). */
const full = (start: string, end: string, weekdays = WEEKDAYS, at?: string): HoursSpec & { at?: string } => ({ weekdays, start, end, at });

/** Three sites: two in New York, one in London. Doctors with hours at none of them keep location-less hours. */
const LOCATIONS = [
  { name: 'Downtown Clinic', address: '12 Main St, Springfield', phone: '+15550102000', timeZone: 'America/New_York' },
  { name: 'Eastside Clinic', address: '400 East Ave, Springfield', phone: '+15550103000', timeZone: 'America/New_York' },
  { name: 'London Bridge Clinic', address: '5 Tooley St, London', phone: '+442079460000', timeZone: 'Europe/London' },
];

const DOCTORS: Array<{ name: string; zone: string; specs: string[]; hours: Array<HoursSpec & { at?: string }>; slot?: number; email: string }> = [
  { name: 'Anika Patel', zone: 'America/New_York', specs: ['Dermatology'], hours: [full('09:00', '17:00')], email: 'anika.patel@demo.clinic' },
  { name: 'James Okafor', zone: 'America/New_York', specs: ['General Practice'], hours: [full('08:00', '12:00'), full('13:00', '16:00')], slot: 15, email: 'james.okafor@demo.clinic' },
  {
    name: 'José Núñez',
    zone: 'America/New_York',
    specs: ['Cardiology'],
    hours: [full('10:00', '18:00', [1, 3], 'Downtown Clinic'), full('10:00', '18:00', [5], 'Eastside Clinic')],
    slot: 45,
    email: 'jose.nunez@demo.clinic',
  },
  { name: 'Mei Chen', zone: 'America/Chicago', specs: ['Pediatrics', 'General Practice'], hours: [full('09:00', '15:00'), full('09:00', '12:00', [6])], email: 'mei.chen@demo.clinic' },
  { name: 'Rahul Patel', zone: 'America/Los_Angeles', specs: ['Orthopedics'], hours: [full('07:00', '15:00', [1, 2, 3, 4])], slot: 40, email: 'rahul.patel@demo.clinic' },
  { name: 'Zoë Müller', zone: 'Europe/London', specs: ['Neurology'], hours: [full('09:00', '17:30')], email: 'zoe.muller@demo.clinic' },
  { name: 'Oliver Hughes', zone: 'Europe/London', specs: ['Psychiatry'], hours: [full('10:00', '19:00', [2, 3, 4], 'London Bridge Clinic')], slot: 50, email: 'oliver.hughes@demo.clinic' },
  { name: 'Aisha Rahman', zone: 'Europe/London', specs: ['Ear, Nose and Throat'], hours: [full('08:30', '16:30', WEEKDAYS, 'London Bridge Clinic')], email: 'aisha.rahman@demo.clinic' },
  { name: 'Carlos Ortega', zone: 'America/New_York', specs: ['Dermatology'], hours: [full('12:00', '20:00', [2, 4]), full('09:00', '13:00', [6])], email: 'carlos.ortega@demo.clinic' },
  { name: 'Hannah Brooks', zone: 'America/Denver', specs: ['General Practice'], hours: [full('08:00', '16:00')], slot: 20, email: 'hannah.brooks@demo.clinic' },
];

export const DEMO_PATIENTS = [
  { name: 'Maria Garcia', phone: '+15551234567', dateOfBirth: '1988-04-12', timeZone: 'America/New_York' },
  { name: 'Tom Baker', phone: '+15557654321', dateOfBirth: '1975-09-30', timeZone: 'America/New_York' },
  { name: 'Priya Singh', phone: '+447700900123', dateOfBirth: '1992-01-05', timeZone: 'Europe/London' },
];

export const DEMO_ADMIN = { name: 'Clinic Admin', email: 'admin@demo.clinic' };

export async function seedDemoClinic(db: Db): Promise<{ seeded: boolean; doctors: number; patients: number }> {
  const existing = await db.models.User.count({ where: { email: DEMO_ADMIN.email } });
  if (existing > 0) return { seeded: false, doctors: 0, patients: 0 };
  await db.sequelize.transaction(async (t) => {
    const specIds = new Map<string, string>();
    for (const [name, keywords] of SPECIALIZATIONS) specIds.set(name, await insertSpecialization(db, name, keywords, t));
    const places = new Map<string, string>();
    for (const l of LOCATIONS) places.set(l.name, await insertLocation(db, l, t));
    const doctorIds = new Map<string, string>();
    for (const d of DOCTORS) {
      const hours = d.hours.map(({ at, ...h }) => ({ ...h, locationId: at ? places.get(at)! : null }));
      const { doctorId } = await insertDoctor(
        db,
        { name: d.name, timeZone: d.zone, slotMinutes: d.slot ?? 30, email: d.email, hours, specializationIds: d.specs.map((s) => specIds.get(s)!) },
        t,
      );
      doctorIds.set(d.name, doctorId);
    }
    // Each doctor's usual visit is their slot length; Dr Rahman also sees new patients for longer
    // (with ten minutes to write up after), and by video, on a 10-minute grid.
    for (const d of DOCTORS) {
      const id = doctorIds.get(d.name)!;
      const name = `Visit (${d.slot ?? 30} min)`;
      const existing = await db.models.VisitType.findOne({ where: { name }, transaction: t });
      const typeId = existing?.id ?? (await insertVisitType(db, { name, durationMinutes: d.slot ?? 30 }, t));
      await db.models.DoctorVisitType.create({ doctorId: id, visitTypeId: typeId }, { transaction: t });
      await db.models.Doctor.update({ defaultVisitTypeId: typeId }, { where: { id }, transaction: t });
    }
    const rahman = doctorIds.get('Aisha Rahman')!;
    await db.models.DoctorVisitType.destroy({ where: { doctorId: rahman }, transaction: t });
    await insertVisitType(
      db,
      {
        name: 'New patient visit',
        durationMinutes: 40,
        bufferAfterMinutes: 10,
        keywords: ['first visit', 'new patient', 'first time', 'primera visita', 'primera vez'],
        intakeQuestions: ['Are you taking any medicines? If so, which?'],
        doctorIds: [rahman],
      },
      t,
    );
    await insertVisitType(db, { name: 'Follow-up', durationMinutes: 20, keywords: ['follow up', 'follow-up', 'followup', 'seguimiento'], doctorIds: [rahman], defaultFor: [rahman] }, t);
    await insertVisitType(
      db,
      { name: 'Video visit', durationMinutes: 20, telehealth: true, videoUrlTemplate: 'https://video.demo.clinic/{token}', keywords: ['video', 'online', 'telehealth', 'virtual'], doctorIds: [rahman] },
      t,
    );
    await db.models.Doctor.update({ gridMinutes: 10 }, { where: { id: rahman }, transaction: t });
    for (const p of DEMO_PATIENTS) await insertPatient(db, p, t);
    await insertAdmin(db, DEMO_ADMIN, t);
  });
  return { seeded: true, doctors: DOCTORS.length, patients: DEMO_PATIENTS.length };
}
