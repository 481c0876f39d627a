import { DateTime } from 'luxon';
import type { Actor } from '../../src/domain/actor';
import { ForbiddenError } from '../../src/domain/errors';
import { insertDoctor, insertPatient } from '../../src/db/records';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';

/**
 * A doctor's private ICS feed: asked for in chat, read over HTTP as a calendar app would (with its
 * ETag), patients' names only when the doctor chose, revoked on request, and nothing for anyone else.
 */

const NY = 'America/New_York';
let h: Harness;
let app: HttpApp;
let chat: Chat;
let doctor: Actor & { doctorId: string };
let other: Actor & { doctorId: string };
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();

beforeAll(async () => {
  h = await createHarness('calendar_feed', { now: '2026-11-30T13:00:00Z' });
  doctor = await insertDoctor(h.db, { name: 'Cal Endar', timeZone: NY, email: 'cal.endar@clinic.test', hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  other = await insertDoctor(h.db, { name: 'Oth Er', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] });
  const p = await insertPatient(h.db, { name: 'Priscilla Quartermaine', phone: '+15550800001', dateOfBirth: '1966-02-03', timeZone: NY });
  await h.services.booking.book(p, { doctorId: doctor.doctorId, patientId: p.patientId, startsAt: ny('2026-12-01T09:30'), channel: 'sms', reason: 'chest pain' });
  app = await startApp(h, { PUBLIC_BASE_URL: 'https://bot.clinic.test' });
  chat = createChat(h, { publicBaseUrl: 'https://bot.clinic.test' });
});
afterAll(async () => {
  await app.close();
  await h.close();
});

const fetchFeed = (url: string, headers: Record<string, string> = {}) => request(app.port, 'GET', new URL(url).pathname, '', headers);

it('gives a doctor a private address whose feed holds their appointments, without patient names or reasons', async () => {
  const reply = await chat.say('cal.endar@clinic.test', 'calendar link', 'console');
  const url = /(https:\/\/bot\.clinic\.test\/calendar\/[A-Za-z0-9_-]{32}\.ics)/.exec(reply)![1];
  expect(reply).toMatch(/not patients' names/);
  const res = await fetchFeed(url);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/calendar/);
  expect(res.body).toMatch(/BEGIN:VCALENDAR[\s\S]*BEGIN:VEVENT[\s\S]*SUMMARY:Appointment[\s\S]*END:VEVENT/);
  expect(res.body).toMatch(/DTSTART:20261201T143000Z/);
  expect(res.body).not.toMatch(/Priscilla|Quartermaine|chest/);
  // The calendar app asks again later with the ETag: nothing changed, nothing sent.
  await new Promise((r) => setTimeout(r, 1100));
  const again = await fetchFeed(url, { 'if-none-match': String(res.headers.etag) });
  expect(again.status).toBe(304);
  expect(again.body).toBe('');
});

it('shows names only when the doctor asks, records that read, and a new address ends the old one', async () => {
  const first = /(https:\S+\.ics)/.exec(await chat.say('cal.endar@clinic.test', 'calendar link', 'console'))![1];
  const reply = await chat.say('cal.endar@clinic.test', 'calendar link with names', 'console');
  expect(reply).toMatch(/shows your patients' names/);
  const url = /(https:\S+\.ics)/.exec(reply)![1];
  expect((await fetchFeed(first)).status).toBe(404);
  const res = await fetchFeed(url);
  expect(res.body).toMatch(/SUMMARY:Priscilla Quartermaine/);
  expect(await h.db.models.Audit.count({ where: { action: 'calendar.feed.read' } })).toBe(1);
  expect(await chat.say('cal.endar@clinic.test', 'calendar revoke', 'console')).toMatch(/no longer works/);
  expect((await fetchFeed(url)).status).toBe(404);
});

it('answers 404 to anything else, and lets no one make another doctor a feed', async () => {
  expect((await request(app.port, 'GET', '/calendar/not-a-token.ics')).status).toBe(404);
  expect((await request(app.port, 'GET', `/calendar/${'A'.repeat(32)}.ics`)).status).toBe(404);
  await expect(h.services.calendarFeeds.create(other, doctor.doctorId)).rejects.toBeInstanceOf(ForbiddenError);
  expect(await h.db.models.Audit.count({ where: { action: 'calendar.feed.create', outcome: 'denied' } })).toBe(1);
});
