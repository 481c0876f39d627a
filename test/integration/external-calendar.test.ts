import { DateTime } from 'luxon';
import nock from 'nock';
import type { Actor } from '../../src/domain/actor';
import { insertDoctor, insertPatient } from '../../src/db/records';
import { createExternalCalendarsService } from '../../src/services/external-calendars';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';

/**
 * A doctor's own calendar blocking their slots: read from its secret ICS address (nock plays
 * Google), recurring events expanded, free ones ignored, pulled again with conditional GET, and a
 * broken or slow calendar never in the way of booking.
 */

const NY = 'America/New_York';
const HOST = 'https://calendar.google.test';
const PATH = '/calendar/ical/dr/private-0123456789abcdef/basic.ics';
let h: Harness;
let chat: Chat;
let doctor: Actor & { doctorId: string };
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const hhmm = (slots: { start: number }[]) => slots.map((s) => DateTime.fromMillis(s.start, { zone: NY }).toFormat('ccc HH:mm'));

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'BEGIN:VEVENT',
  'UID:meeting-1',
  'DTSTART:20261201T140000Z', // Tue 9:00 in New York
  'DTEND:20261201T150000Z',
  'SUMMARY:Board meeting',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:standup',
  'DTSTART:20261202T160000Z', // Wed 11:00, weekly, twice
  'DTEND:20261202T163000Z',
  'RRULE:FREQ=WEEKLY;COUNT=2',
  'SUMMARY:Standup',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:reminder',
  'DTSTART:20261201T150000Z',
  'DTEND:20261201T160000Z',
  'TRANSP:TRANSPARENT',
  'SUMMARY:Free reminder',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

beforeAll(async () => {
  h = await createHarness('external_calendar', { now: '2026-11-30T13:00:00Z' });
  doctor = await insertDoctor(h.db, { name: 'Gia Google', timeZone: NY, email: 'gia@clinic.test', hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  chat = createChat(h);
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await h.close();
});

it("blocks the doctor's slots with the busy times of their own calendar, recurring ones included, free ones not", async () => {
  nock(HOST).get(PATH).reply(200, ICS, { 'content-type': 'text/calendar', etag: '"v1"' });
  expect(await chat.say('gia@clinic.test', `my calendar ${HOST}${PATH}`, 'console')).toMatch(/^Done: 3 busy times from your calendar now block your slots/);
  const tue = await h.services.availability.freeSlots(doctor.doctorId, ny('2026-12-01T00:00'), ny('2026-12-02T00:00'));
  expect(hhmm(tue)).toEqual(['Tue 10:00', 'Tue 10:30', 'Tue 11:00', 'Tue 11:30']);
  const wednesdays = await h.services.availability.freeSlots(doctor.doctorId, ny('2026-12-02T00:00'), ny('2026-12-10T00:00'));
  expect(hhmm(wednesdays).filter((s) => s === 'Wed 11:00')).toEqual([]);
  // A patient cannot book into it either.
  const p = await insertPatient(h.db, { name: 'Pat Busy', phone: '+15550810001', dateOfBirth: '1980-01-01', timeZone: NY });
  await expect(h.services.booking.book(p, { doctorId: doctor.doctorId, patientId: p.patientId, startsAt: ny('2026-12-01T09:00'), channel: 'sms' })).rejects.toThrow(/not available then/);
});

it('asks again with the ETag; an unchanged calendar (304) keeps its busy times', async () => {
  const scope = nock(HOST, { reqheaders: { 'if-none-match': '"v1"' } }).get(PATH).reply(304);
  expect(await h.services.externalCalendars.pull(doctor.doctorId)).toEqual([{ doctorId: doctor.doctorId, outcome: 'unchanged' }]);
  expect(scope.isDone()).toBe(true);
  expect(await h.db.models.ExternalBusy.count({ where: { doctorId: doctor.doctorId } })).toBe(3);
});

it('a broken or slow calendar keeps what was read before, records why without the address, and never stops a booking', async () => {
  nock(HOST).get(PATH).reply(500, 'oops');
  expect((await h.services.externalCalendars.pull(doctor.doctorId))[0].outcome).toBe('failed');
  const slow = createExternalCalendarsService({ db: h.db, audit: h.services.audit, now: h.clock.now, timeoutMs: 100 });
  nock(HOST).get(PATH).delay(1000).reply(200, ICS);
  expect((await slow.pull(doctor.doctorId))[0].outcome).toBe('failed');
  const row = (await h.db.models.ExternalCalendar.findByPk(doctor.doctorId))!;
  expect(row.lastError).toBe('the calendar did not answer in time');
  expect(await h.db.models.ExternalBusy.count({ where: { doctorId: doctor.doctorId } })).toBe(3);
  nock(HOST).get(PATH).reply(200, 'not a calendar');
  expect((await h.services.externalCalendars.pull(doctor.doctorId))[0].outcome).toBe('failed');
  const p = await insertPatient(h.db, { name: 'Pat Fine', phone: '+15550810002', dateOfBirth: '1980-01-01', timeZone: NY });
  const booked = await h.services.booking.book(p, { doctorId: doctor.doctorId, patientId: p.patientId, startsAt: ny('2026-12-01T10:00'), channel: 'sms' });
  expect(booked.status).toBe('booked');
  const audit = await h.db.sequelize.query(`SELECT details::text AS d FROM audit_log WHERE details::text LIKE '%private-0123%'`);
  expect(audit[0]).toEqual([]);
});

it('only the doctor or an admin sets it, an http address is refused, and "my calendar off" frees the times', async () => {
  const other = await insertDoctor(h.db, { name: 'Oth Doc', timeZone: NY });
  await expect(h.services.externalCalendars.set(other, doctor.doctorId, `${HOST}${PATH}`)).rejects.toThrow(/Not allowed/);
  await expect(h.services.externalCalendars.set(doctor, doctor.doctorId, 'http://calendar.google.test/x.ics')).rejects.toThrow(/must start with https/);
  expect(await chat.say('gia@clinic.test', 'my calendar off', 'console')).toBe('Done: your own calendar no longer blocks your slots.');
  const tue = await h.services.availability.freeSlots(doctor.doctorId, ny('2026-12-01T09:00'), ny('2026-12-01T09:31'));
  expect(hhmm(tue)).toEqual(['Tue 09:00', 'Tue 09:30']);
});
