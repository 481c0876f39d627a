import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../src/i18n/catalog';
import { seedDemoClinic } from '../../src/db/seed';
import { insertPatient } from '../../src/db/records';
import { createChat, type Chat } from '../support/dialog-harness';
import { createHarness, type Harness } from '../support/harness';
import { deleteKeys } from '../support/run-scope';

/**
 * Issue 13 as it was tried: a patient who writes in Spanish is answered in Spanish from the first
 * word, can say "sí" where a yes is asked, can switch language at any time, and keeps it.
 */
let h: Harness;
let chat: Chat;
const NY = 'America/New_York';
const NOW = '2026-11-27T19:30:00Z';

beforeAll(async () => {
  h = await createHarness('spanish', { now: NOW });
  await seedDemoClinic(h.db);
  chat = createChat(h);
});
afterAll(() => h.close());

async function transcript(sender: string, lines: Array<[string, RegExp]>) {
  for (const [said, expected] of lines) {
    const reply = await chat.say(sender, said, 'sms');
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}
const localeOf = async (phone: string) => (await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.locale;

it('registers a patient who writes "hola" in Spanish, and takes "sí" for the consent', async () => {
  const phone = '+15550130001';
  await transcript(phone, [
    ['hola', /^¡Bienvenido a .+! Gestiono sus citas por mensaje\. ¿Su nombre completo, por favor\? \(For English, reply ENGLISH\)$/],
    ['María López', /^Gracias, María\. ¿Su fecha de nacimiento\?/],
    ['04/12/1988', /^¿Podemos escribirle sobre sus citas/],
    ['sí', /^¡Listo, María!\n¿Qué desea hacer\? Elija una:\n1 Pedir una cita\n2 Mis citas/],
  ]);
  expect(await localeOf(phone)).toBe('es');
  // The next conversation, on any instance, is in Spanish too: it comes from the patient's record.
  await deleteKeys(h.redis, `${h.prefix}:conv:*`);
  await transcript(phone, [['menu', /^¿Qué desea hacer\?/]]);
});

it('accepts every everyday Spanish yes at the consent question', async () => {
  for (const [i, yes] of ['si', 'Sí.', 'claro', 'vale', 'de acuerdo', 'sí, por favor'].entries()) {
    // Each from a number block of its own: the clinic's registration throttle counts per block.
    const phone = `+155502${i}0001`;
    await transcript(phone, [
      ['quiero una cita', /^¡Bienvenido/],
      ['Ana Ruiz', /^Gracias, Ana/],
      ['1990-01-02', /^¿Podemos escribirle/],
      [yes, /^¡Listo, Ana!/],
    ]);
  }
});

it('"no gracias" at the consent stores nothing', async () => {
  const phone = '+15550310020';
  await transcript(phone, [
    ['necesito un dermatólogo', /^¡Bienvenido/],
    ['Luis Gil', /^Gracias, Luis/],
    ['02/03/1975', /^¿Podemos escribirle/],
    ['no gracias', /^De acuerdo, no le escribiremos/],
  ]);
  expect(await localeOf(phone)).toBeUndefined();
});

it('switches language at any time, and the patient record follows', async () => {
  const phone = '+15550130030';
  await insertPatient(h.db, { name: 'Rosa Díaz', phone, dateOfBirth: '1980-01-01', timeZone: NY });
  await transcript(phone, [
    ['ESPAÑOL', /^De acuerdo, le escribiré en español\.\n¿Qué desea hacer\?/],
    ['ayuda', /^Escriba lo que necesita/],
    ['idioma', /^¿En qué idioma\? Responda ENGLISH \/ ESPAÑOL\.$/],
    ['english', /^OK, I'll write in English from now on\.\nWhat would you like to do\?/],
  ]);
  expect(await localeOf(phone)).toBe('en');
});

it('an English first message stays English, with no Spanish added to it', async () => {
  await transcript('+15550410040', [['hi', /^Welcome to .+! I book and manage appointments by text\. What is your full name\?$/]]);
});

it('speaks a third language from one catalog file and its words (a stub Portuguese)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-locales-'));
  const shipped = path.join(__dirname, '../../src/i18n/locales');
  for (const f of fs.readdirSync(shipped)) fs.copyFileSync(path.join(shipped, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'pt.json'), JSON.stringify({ 'language.switched': 'Certo, vou escrever em português.', 'menu.prompt': 'O que deseja fazer? Responda com um número.' }));
  fs.writeFileSync(path.join(dir, 'pt.words.json'), JSON.stringify({ name: 'Português', switch: ['portugues', 'portuguese'], detect: ['olá', 'obrigado', 'consulta'], yes: ['sim'], no: ['não'], keywords: { help: ['ajuda'] } }));
  const stub = loadCatalog(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(stub.locales).toEqual(['en', 'es', 'pt']);

  const phone = '+15550130050';
  await insertPatient(h.db, { name: 'João Silva', phone, dateOfBirth: '1970-06-01', timeZone: NY });
  const portuguese = createChat(h, { catalog: stub });
  expect(await portuguese.say(phone, 'PORTUGUÊS', 'sms')).toMatch(/^Certo, vou escrever em português\.\nO que deseja fazer\? Responda com um número\.\n1 Book an appointment/);
  expect(await localeOf(phone)).toBe('pt');
  // What the stub does not translate is said in English, never as a key.
  expect(await portuguese.say(phone, 'ajuda', 'sms')).toMatch(/^Tell me what you need/);
});

it('shows staff the patient’s language beside the name, in English, and counts bookings by language', async () => {
  const { insertAdmin } = await import('../../src/db/records');
  const { reportText } = await import('../../src/reports/render');
  const admin = await insertAdmin(h.db, { name: 'Report Admin', email: 'report.admin@demo.clinic' });
  const es = await insertPatient(h.db, { name: 'Carmen Sánchez', phone: '+15550160001', dateOfBirth: '1970-01-01', timeZone: NY });
  const en = await insertPatient(h.db, { name: 'Tom English', phone: '+15550170001', dateOfBirth: '1970-01-01', timeZone: NY });
  await h.db.models.Patient.update({ locale: 'es' }, { where: { id: es.patientId } });
  const okafor = (await h.db.models.Doctor.findOne({ where: { fullName: 'James Okafor' } }))!;
  await h.services.booking.book(es, { doctorId: okafor.id, patientId: es.patientId, startsAt: new Date('2026-12-01T14:00:00Z'), channel: 'sms' });
  await h.services.booking.book(en, { doctorId: okafor.id, patientId: en.patientId, startsAt: new Date('2026-12-01T14:15:00Z'), channel: 'sms' });

  const doctor = { userId: okafor.userId!, role: 'doctor' as const, doctorId: okafor.id };
  const day = await h.services.appointments.schedule(doctor, okafor.id, new Date('2026-12-01T05:00:00Z'), new Date('2026-12-02T05:00:00Z'));
  const chat = createChat(h);
  const said = await chat.say('james.okafor@demo.clinic', 'schedule Dec 1', 'console');
  expect(day.map((e) => e.patientLocale)).toEqual(['es', 'en']);
  expect(said).toMatch(/9:00 AM Carmen Sánchez \(Spanish\) \(15 min\)/);
  expect(said).toMatch(/9:15 AM Tom English \(15 min\)/);

  const text = reportText(await h.services.reports.report(admin, '2026-11-01', '2026-12-31'));
  expect(text).toMatch(/^Bookings by language: English \d+, Spanish 1$/m);
});
