import { DateTime } from 'luxon';
import { freeSlots, workingWindows, type WeeklyRule } from '../../src/domain/slots';
import { locationsNamed, planVisit, visitTypesNamed, videoUrl, type VisitType } from '../../src/domain/visits';
import { findRecurrence } from '../../dialogs/understanding/recurrence';
import { ValidationError } from '../../src/domain/errors';

const NY = 'America/New_York';
const at = (iso: string, zone = NY) => DateTime.fromISO(iso, { zone }).toMillis();
const hhmm = (slots: { start: number }[], zone = NY) => slots.map((s) => DateTime.fromMillis(s.start, { zone }).toFormat('HH:mm'));
const base = { now: at('2026-11-30T00:00'), minNoticeMinutes: 0, horizonDays: 60, busy: [] };
const monday = { from: at('2026-12-07T00:00'), to: at('2026-12-08T00:00') };

const kind = (over: Partial<VisitType>): VisitType => ({
  id: 'k',
  name: 'Visit',
  durationMinutes: 30,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  telehealth: false,
  keywords: [],
  intakeQuestions: [],
  ...over,
});

describe('the slot engine with visit types', () => {
  const rules: WeeklyRule[] = [{ weekday: 1, start: '09:00', end: '10:00' }];

  it('steps starts on the grid and fits the visit length', () => {
    expect(hhmm(freeSlots({ ...base, ...monday, zone: NY, rules, slotMinutes: 40, gridMinutes: 10 }))).toEqual(['09:00', '09:10', '09:20']);
    // No grid: one visit after another, as before visit types existed.
    expect(hhmm(freeSlots({ ...base, ...monday, zone: NY, rules, slotMinutes: 20 }))).toEqual(['09:00', '09:20', '09:40']);
  });

  it('keeps buffers clear of anything busy, on both sides', () => {
    const busy = [{ start: at('2026-12-07T09:25'), end: at('2026-12-07T09:40') }];
    // A 10-minute visit with 10 minutes after: 09:10 would run its buffer into 09:25; 09:50's may run past 10:00.
    expect(hhmm(freeSlots({ ...base, ...monday, busy, zone: NY, rules, slotMinutes: 10, gridMinutes: 10, bufferAfterMinutes: 10 }))).toEqual(['09:00', '09:40', '09:50']);
    // 10 minutes before: 09:40 would start its preparation inside the busy time.
    expect(hhmm(freeSlots({ ...base, ...monday, busy, zone: NY, rules, slotMinutes: 10, gridMinutes: 10, bufferBeforeMinutes: 10 }))).toEqual(['09:00', '09:10', '09:50']);
  });

  it('lets a buffer run past the hours, never the visit itself', () => {
    expect(hhmm(freeSlots({ ...base, ...monday, zone: NY, rules, slotMinutes: 30, gridMinutes: 30, bufferAfterMinutes: 15 }))).toEqual(['09:00', '09:30']);
  });

  it('knows the location of each slot, reads hours in the location zone, and offers only the one asked for', () => {
    const located: WeeklyRule[] = [
      { weekday: 1, start: '09:00', end: '10:00', locationId: 'downtown' },
      { weekday: 1, start: '15:00', end: '16:00', locationId: 'london', zone: 'Europe/London' },
    ];
    const all = freeSlots({ ...base, ...monday, zone: NY, rules: located, slotMinutes: 30 });
    expect(all.map((s) => [DateTime.fromMillis(s.start, { zone: NY }).toFormat('HH:mm'), s.locationId])).toEqual([
      ['09:00', 'downtown'],
      ['09:30', 'downtown'],
      ['10:00', 'london'],
      ['10:30', 'london'],
    ]);
    expect(freeSlots({ ...base, ...monday, zone: NY, rules: located, slotMinutes: 30, locationId: 'london' }).every((s) => s.locationId === 'london')).toBe(true);
  });

  it('never puts a doctor in two places at once: of two overlapping windows the earlier wins', () => {
    const clash: WeeklyRule[] = [
      { weekday: 1, start: '09:00', end: '11:00', locationId: 'a' },
      { weekday: 1, start: '10:00', end: '12:00', locationId: 'b' },
    ];
    expect(workingWindows(clash, NY, monday.from, monday.to).map((w) => w.locationId)).toEqual(['a']);
  });
});

describe('planning a visit', () => {
  const doctor = { fullName: 'Anika Patel', slotMinutes: 30, gridMinutes: null, defaultVisitTypeId: 'follow' };
  const offered = [kind({ id: 'new', durationMinutes: 40, bufferAfterMinutes: 10 }), kind({ id: 'follow', durationMinutes: 20 })];

  it('takes the type asked for, else the doctor default, else the slot length', () => {
    expect(planVisit(doctor, offered, 'new')).toMatchObject({ durationMinutes: 40, bufferAfterMinutes: 10, gridMinutes: 40 });
    expect(planVisit(doctor, offered)).toMatchObject({ visitTypeId: 'follow', durationMinutes: 20 });
    expect(planVisit({ ...doctor, defaultVisitTypeId: null }, [])).toMatchObject({ visitTypeId: null, durationMinutes: 30, gridMinutes: 30 });
    expect(planVisit({ ...doctor, gridMinutes: 10 }, offered, 'new').gridMinutes).toBe(10);
  });

  it('refuses a type the doctor does not offer', () => {
    expect(() => planVisit(doctor, offered, 'physio')).toThrow(ValidationError);
  });

  it('puts a random token in a video link', () => {
    expect(videoUrl('https://video.test/room/{token}', 'abc')).toBe('https://video.test/room/abc');
    expect(videoUrl('https://video.test/rooms/', 'abc')).toBe('https://video.test/rooms/abc');
  });
});

describe('reading kinds of visit and places in a message', () => {
  const kinds = [
    { id: 'new', name: 'New patient visit', keywords: ['first visit', 'new patient'] },
    { id: 'follow', name: 'Follow-up', keywords: ['follow up', 'seguimiento'] },
  ];
  it.each([
    ['my first visit with Dr Rahman', ['new']],
    ['a follow-up please', ['follow']],
    ['Follow up on Tuesday', ['follow']],
    ['cita de seguimiento', ['follow']],
    ['book Dr Rahman tomorrow', []],
  ])('%s', (text, ids) => {
    expect(visitTypesNamed(text, kinds).map((k) => k.id)).toEqual(ids);
  });

  const places = [
    { id: 'dt', name: 'Downtown Clinic' },
    { id: 'es', name: 'Eastside Clinic' },
  ];
  it.each([
    ['cardiology at eastside', ['es']],
    ['Downtown please', ['dt']],
    ['the clinic on Main St', []],
  ])('%s', (text, ids) => {
    expect(locationsNamed(text, places).map((l) => l.id)).toEqual(ids);
  });
});

describe('reading a weekly series', () => {
  it.each([
    ['every Tuesday at 10 for 6 weeks', 'en', { occurrences: 6, everyWeeks: 1 }, 'Tuesday at 10'],
    ['ten weekly physio sessions on Mondays at 9', 'en', { occurrences: 10, everyWeeks: 1 }, 'Monday at 9'],
    ['every other Monday at 9 for 6 weeks', 'en', { occurrences: 3, everyWeeks: 2 }, 'Monday at 9'],
    ['weekly on Fridays at 2pm', 'en', { occurrences: null, everyWeeks: 1 }, 'Friday at 2pm'],
    ['cada martes a las 10 durante 6 semanas', 'es', { occurrences: 6, everyWeeks: 1 }, 'martes a las 10'],
    ['todos los jueves a las 11, cuatro sesiones', 'es', { occurrences: 4, everyWeeks: 1 }, 'jueves a las 11,'],
  ])('%s', (text, locale, recurrence, rest) => {
    expect(findRecurrence(text, locale)).toEqual({ recurrence, rest });
  });

  it.each([['tomorrow at 10'], ['every day'], ['I come here every time I am sick'], ['3 times a day, is that normal?']])('not a series: %s', (text) => {
    expect(findRecurrence(text, 'en')).toBeNull();
  });
});
