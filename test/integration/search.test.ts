import { DateTime } from 'luxon';
import { insertDoctor } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  // Monday 30 November 2026, 08:00 in New York.
  h = await createHarness('search', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
});
afterAll(() => h.close());

const names = async (q: string) => (await h.services.doctors.search(q, { limit: 10 })).map((m) => m.doctor.fullName).sort();

describe('the demo clinic seed', () => {
  it('loads specializations, ten doctors in several time zones, patients and an admin, once', async () => {
    const { Doctor, Patient, User, Specialization, AvailabilityRule } = h.db.models;
    expect(await Doctor.count()).toBe(10);
    const zones = new Set((await Doctor.findAll()).map((d) => d.timeZone));
    expect(zones.has('America/New_York') && zones.has('Europe/London')).toBe(true);
    expect(await Specialization.count()).toBeGreaterThanOrEqual(6);
    expect(await Patient.count()).toBe(3);
    expect(await User.count({ where: { role: 'admin' } })).toBe(1);
    expect(await AvailabilityRule.count()).toBeGreaterThan(30);
    expect(await seedDemoClinic(h.db)).toMatchObject({ seeded: false });
    expect(await Doctor.count()).toBe(10);
  });
});

describe('doctor search', () => {
  it('finds by specialty and by the everyday word for it', async () => {
    expect(await names('dermatology')).toEqual(['Anika Patel', 'Carlos Ortega']);
    expect(await names('skin doctor')).toEqual(['Anika Patel', 'Carlos Ortega']);
    expect(await names('heart')).toEqual(['José Núñez']);
  });

  it('finds by name, partial name, any case and without accents', async () => {
    expect(await names('Dr Patel')).toEqual(['Anika Patel', 'Rahul Patel']);
    expect(await names('nunez')).toEqual(['José Núñez']);
    expect(await names('NÚÑEZ')).toEqual(['José Núñez']);
    expect(await names('mull')).toEqual(['Zoë Müller']);
    expect(await names('anika patel')).toEqual(['Anika Patel']);
  });

  it('follows every change at once: a new name, a specialty added or taken away, a specialty\'s new everyday word', async () => {
    const { Doctor, DoctorSpecialization, Specialization } = h.db.models;
    const { doctorId } = await insertDoctor(h.db, { name: 'Quentin Quill', timeZone: 'America/New_York' });
    try {
      expect(await names('quill')).toEqual(['Quentin Quill']);
      await Doctor.update({ fullName: 'Quentin Quillér' }, { where: { id: doctorId } });
      expect(await names('quiller')).toEqual(['Quentin Quillér']);
      const derm = (await Specialization.findOne({ where: { name: 'Dermatology' } }))!;
      await DoctorSpecialization.create({ doctorId, specializationId: derm.id });
      expect(await names('dermatology')).toEqual(['Anika Patel', 'Carlos Ortega', 'Quentin Quillér']);
      const before = derm.keywords;
      await Specialization.update({ keywords: [...before, 'eczéma'] }, { where: { id: derm.id } });
      try {
        expect(await names('eczema')).toEqual(['Anika Patel', 'Carlos Ortega', 'Quentin Quillér']);
        await DoctorSpecialization.destroy({ where: { doctorId, specializationId: derm.id } });
        expect(await names('eczema')).toEqual(['Anika Patel', 'Carlos Ortega']);
      } finally {
        await Specialization.update({ keywords: before }, { where: { id: derm.id } });
      }
      expect(await names('eczema')).toEqual([]);
    } finally {
      await Doctor.destroy({ where: { id: doctorId } });
    }
  });

  it('tolerates small typos', async () => {
    expect(await names('dermatolgy')).toEqual(['Anika Patel', 'Carlos Ortega']);
    expect(await names('cardiolgy')).toEqual(['José Núñez']);
  });

  it('finds nothing for nonsense, empty or hostile input, and breaks nothing', async () => {
    expect(await names('xyzzy')).toEqual([]);
    expect(await names('')).toEqual([]);
    expect(await names("'; DROP TABLE doctors; --")).toEqual([]);
    expect(await names('%%%___')).toEqual([]);
    expect(await h.db.models.Doctor.count()).toBe(10);
  });

  it('gives each result its next free slots, in the future, in order, inside the doctor\'s hours', async () => {
    const [match] = await h.services.doctors.search('neurology', { slotsPerDoctor: 3 });
    expect(match.doctor).toMatchObject({ fullName: 'Zoë Müller', timeZone: 'Europe/London', specializations: ['Neurology'] });
    expect(match.nextSlots).toHaveLength(3);
    const now = h.clock.now();
    let last = now;
    for (const s of match.nextSlots) {
      expect(s.start).toBeGreaterThan(last);
      last = s.start;
      const local = DateTime.fromMillis(s.start, { zone: 'Europe/London' });
      expect(local.hour).toBeGreaterThanOrEqual(9);
      expect(local.weekday).toBeLessThanOrEqual(5);
    }
    // 08:00 in New York is 13:00 in London, and the clinic needs an hour's notice.
    expect(DateTime.fromMillis(match.nextSlots[0].start, { zone: 'Europe/London' }).toFormat('HH:mm')).toBe('14:00');
  });

  it('leaves out deactivated doctors', async () => {
    await h.db.models.Doctor.update({ active: false }, { where: { fullName: 'Carlos Ortega' } });
    expect(await names('dermatology')).toEqual(['Anika Patel']);
    await h.db.models.Doctor.update({ active: true }, { where: { fullName: 'Carlos Ortega' } });
  });
});
