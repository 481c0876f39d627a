import nock from 'nock';
import twilio from 'twilio';
import { seedDemoClinic } from '../../src/db/seed';
import { processReminder, reminderText } from '../../src/reminders/reminder-worker';
import { awaitReminderReply } from '../../dialogs/patient/reminder-reply';
import { createRedisConversationStore } from '../../dialogs/conversation-store';
import { createLogger } from '../../src/logging';
import { smsSegments } from '../../dialogs/support/format';
import { createHarness, type Harness } from '../support/harness';
import { request, startApp, type HttpApp } from '../support/http-app';

/**
 * Issue 13's done-when, through the real SMS webhook with requests signed as Twilio signs them: a
 * patient who writes in Spanish registers, books, lists, moves, calls off, asks for AYUDA, opts out
 * and back in, all in Spanish; and every Spanish reply is counted in SMS segments.
 */
const AUTH_TOKEN = 'spanish_auth_token_0123456789abcdef';
const ACCOUNT_SID = `AC${'e'.repeat(32)}`;
const PUBLIC = 'https://bot.spanish-clinic.test';
const FROM_NUMBER = '+15550002222';
const env = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_FROM_NUMBER: FROM_NUMBER, PUBLIC_BASE_URL: PUBLIC, RATE_LIMIT_PER_MINUTE: '100' };
let h: Harness;
let app: HttpApp;
let sidSeq = 0;
const replies: string[] = [];

async function text(from: string, body: string): Promise<string> {
  const params = { MessageSid: `SM${String(++sidSeq).padStart(32, 'e')}`, AccountSid: ACCOUNT_SID, From: from, To: FROM_NUMBER, Body: body, NumMedia: '0' };
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC}/sms`, params);
  const res = await request(app.port, 'POST', '/sms', new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });
  expect(res.status).toBe(200);
  const bodies = [...res.body.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((m) => m[1].replace(/&apos;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  replies.push(...bodies);
  return bodies.join('\n');
}

async function transcript(from: string, lines: Array<[string, RegExp]>) {
  for (const [said, expected] of lines) {
    const reply = await text(from, said);
    if (!expected.test(reply)) throw new Error(`after "${said}" expected ${expected}, but the bot said:\n${reply}`);
  }
}

beforeAll(async () => {
  // Monday 30 November 2026, 8:00 in New York.
  h = await createHarness('spanish_sms', { now: '2026-11-30T13:00:00Z' });
  await seedDemoClinic(h.db);
  app = await startApp(h, env, { twilioClient: twilio(ACCOUNT_SID, AUTH_TOKEN, { keepAlive: false }) });
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await app.close();
  await h.close();
});

it('registers, books, lists, moves and calls off in Spanish', async () => {
  const phone = '+15550777001';
  await transcript(phone, [
    ['Hola', /^¡Bienvenido a .+! Gestiono sus citas por mensaje\. ¿Su nombre completo, por favor\? \(For English, reply ENGLISH\)$/],
    ['Lucía Fernández', /^Gracias, Lucía\. ¿Su fecha de nacimiento\?/],
    ['12/04/1985', /^¿Podemos escribirle sobre sus citas/],
    ['Sí', /^¡Listo, Lucía!\n¿Qué desea hacer\? Elija una:\n1 Pedir una cita\n2 Mis citas\n3 Cambiar o anular una\n4 Citas pasadas\n5 Mis datos$/],
    ['1', /^¿Qué médico o especialidad\?/],
    ['Dr Okafor', /^Horas con Dr James Okafor:\n1 lun 30 nov, 09:00\n2 lun 30 nov, 09:15\n3 lun 30 nov, 09:30\nElija una, pida otra fecha u hora, u OTRAS\.$/],
    ['OTRAS', /^Horas con Dr James Okafor:\n1 lun 30 nov, 09:45\n/],
    ['1', /^¿Reservo con Dr James Okafor el lun 30 nov, 09:45\? Responda SI o NO\.$/],
    ['claro', /^Reservado: Dr James Okafor, lun 30 nov, 09:45\. Le enviaremos un recordatorio\./],
    ['2', /^Sus citas pendientes:\n1 lun 30 nov, 09:45, Dr James Okafor\nElija una para cambiarla, o MENU\.$/],
    ['1', /^lun 30 nov, 09:45 con Dr James Okafor\. Responda R para cambiarla o X para anularla\.$/],
    ['R', /^Horas con Dr James Okafor:/],
    ['1', /^¿Cambio su cita con Dr James Okafor al lun 30 nov, 09:00\? Responda SI o NO\.$/],
    ['vale', /^Cita cambiada: Dr James Okafor, lun 30 nov, 09:00\./],
    ['3', /^lun 30 nov, 09:00 con Dr James Okafor\. Responda R para cambiarla o X para anularla\.$/],
    ['X', /^¿Anulo su cita del lun 30 nov, 09:00 con Dr James Okafor\? Responda SI o NO\.$/],
    ['si', /^Hecho: su cita del lun 30 nov, 09:00 con Dr James Okafor queda anulada\./],
    ['2', /^No tiene citas pendientes\. Responda 1 para pedir una\.$/],
  ]);
  const patient = await h.db.models.Patient.findOne({ where: { phoneE164: phone } });
  expect(patient?.locale).toBe('es');
});

it('answers AYUDA in Spanish, and takes STOP and START as carriers do', async () => {
  const phone = '+15550777002';
  await transcript(phone, [
    ['buenos días', /^¡Bienvenido/],
    ['Pedro Gómez', /^Gracias, Pedro/],
    ['01/02/1970', /^¿Podemos escribirle/],
    ['de acuerdo', /^¡Listo, Pedro!/],
    ['AYUDA', /^.+: citas por mensaje\. MENU para ver opciones\. Para ayuda, llame al centro\. Emergencias: 911\. Pueden aplicarse tarifas\. STOP para darse de baja\.$/],
  ]);
  // Twilio answers STOP and START itself by default: the service records them and says nothing.
  expect(await text(phone, 'STOP')).toBe('');
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.smsOptOut).toBe(true);
  expect(await text(phone, 'START')).toBe('');
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.smsOptOut).toBe(false);
  await transcript(phone, [['menu', /^¿Qué desea hacer\?/]]);
});

it('sends the reminder in the patient’s language', () => {
  const at = Date.parse('2026-12-04T15:00:00Z');
  expect(reminderText('Lucía', at, 'America/New_York', 'Clínica Demo', 'es')).toBe(
    'Hola Lucía, le recordamos su cita en Clínica Demo el vie 4 dic a las 10:00. Responda C para confirmar, R para cambiarla o X para anularla.',
  );
  expect(reminderText('Lucy', at, 'America/New_York', 'Demo Clinic')).toBe(
    'Hi Lucy, a reminder of your appointment at Demo Clinic on Fri 4 Dec at 10:00 AM. Reply C to confirm, R to change it or X to call it off.',
  );
});

it('books from one natural Spanish message, in at most three texts, and picks a time by what it says', async () => {
  const phone = '+15550777003';
  await transcript(phone, [
    ['hola', /^¡Bienvenido/],
    ['Ana Ruiz', /^Gracias, Ana/],
    ['03/03/1983', /^¿Podemos escribirle/],
    ['vale', /^¡Listo, Ana!/],
  ]);
  // Monday 30 Nov, 8:00: tomorrow afternoon is Tuesday's; Dr Patel sees skin patients 9 to 5.
  await transcript(phone, [
    ['necesito un dermatólogo mañana por la tarde', /^Horas libres: ?\n?|^Horas con Dr /],
  ]);
  const offered = replies[replies.length - 1];
  expect(offered).toMatch(/mar 1 dic, 1[2-6]:\d\d/);
  await transcript(phone, [
    ['el de las 12:30', /^¿Reservo con Dr .+ el mar 1 dic, 12:30\? Responda SI o NO\.$/],
    ['sí', /^Reservado: Dr .+, mar 1 dic, 12:30\./],
  ]);
});

it('reads Spanish requests at the menu: list, move and call off by what they say', async () => {
  const phone = '+15550777004';
  await transcript(phone, [
    ['buenas tardes', /^¡Bienvenido/],
    ['Raúl Díaz', /^Gracias, Raúl/],
    ['04/04/1984', /^¿Podemos escribirle/],
    ['claro', /^¡Listo, Raúl!/],
    ['quiero una cita con el Dr Okafor el miércoles a las 9', /^¿Reservo con Dr James Okafor el mié 2 dic, 09:00\? Responda SI o NO\.$/],
    ['si', /^Reservado: Dr James Okafor, mié 2 dic, 09:00\./],
    // Registered in this conversation, so the date of birth was just given: no check again.
    ['cuándo es mi cita', /^Sus citas pendientes:\n1 mié 2 dic, 09:00, Dr James Okafor/],
    ['cambiar mi cita del miércoles', /^Horas con Dr James Okafor:/],
    ['el jueves por la mañana', /^Horas con Dr James Okafor:\n1 jue 3 dic, 0[89]:\d\d/],
    ['1', /^¿Cambio su cita con Dr James Okafor al jue 3 dic, 0[89]:\d\d\? Responda SI o NO\.$/],
    ['de acuerdo', /^Cita cambiada: Dr James Okafor, jue 3 dic/],
    ['anular mi cita del viernes', /^No tiene ninguna cita el vie 4 dic\. ¿Qué cita anulo\?\n1 jue 3 dic, 0[89]:\d\d, Dr James Okafor\nElija una\.$/],
    ['sí', /^¿Anulo su cita del jue 3 dic, 0[89]:\d\d con Dr James Okafor\? Responda SI o NO\.$/],
    ['sí, por favor', /^Hecho: su cita del jue 3 dic/],
  ]);
});

it('honours the Spanish opt-out words alone (ALTO, BAJA), answers in Spanish, and takes "sí" to come back', async () => {
  const phone = '+15550881005';
  await transcript(phone, [
    ['hola', /^¡Bienvenido/],
    ['Inés Torres', /^Gracias, Inés/],
    ['05/05/1985', /^¿Podemos escribirle/],
    ['sí', /^¡Listo, Inés!/],
    ['ALTO', /^.+: ya no le escribiremos\. Sus citas siguen en pie, sin recordatorios; para anular una, llame al centro\. Responda START para volver\.$/],
  ]);
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.smsOptOut).toBe(true);
  // While opted out, nothing else is answered.
  expect(await text(phone, 'menu')).toBe('');
  await transcript(phone, [['sí', /^Vuelve a recibir los mensajes de .+\. MENU para ver opciones, STOP para darse de baja\.$/]]);
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.smsOptOut).toBe(false);
  await transcript(phone, [['Baja', /ya no le escribiremos/]]);
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))?.smsOptOut).toBe(true);
  // Only the word alone: "baja" inside a sentence is a message like any other.
  const other = '+15550991006';
  await transcript(other, [['hola', /^¡Bienvenido/], ['Diego Ruiz', /^Gracias, Diego/], ['06/06/1986', /^¿Podemos/], ['vale', /^¡Listo, Diego!/]]);
  expect(await text(other, 'quiero dar de baja mi cita')).not.toMatch(/ya no le escribiremos/);
  expect((await h.db.models.Patient.findOne({ where: { phoneE164: other } }))?.smsOptOut).toBe(false);
});

it('never asks a Spanish patient to type an opt-out word for anything else', () => {
  const invite = /\b(responda|escriba|envíe|mande)\b[^.\n]{0,30}\b(ALTO|BAJA|PARAR|CANCELAR|STOP|CANCEL|END|QUIT)\b/i;
  const offending = replies.filter((r) => invite.test(r) && !/STOP para darse de baja/.test(r));
  expect(offending).toEqual([]);
});

it('sends the reminder in Spanish and takes the answer through the webhook', async () => {
  const phone = '+15550662007';
  await transcript(phone, [['hola', /^¡Bienvenido/], ['Rocío Pérez', /^Gracias, Rocío/], ['07/07/1987', /^¿Podemos/], ['claro', /^¡Listo, Rocío!/]]);
  const patient = (await h.db.models.Patient.findOne({ where: { phoneE164: phone } }))!;
  const okafor = (await h.db.models.Doctor.findOne({ where: { fullName: 'James Okafor' } }))!;
  const actor = { userId: patient.userId, role: 'patient' as const, patientId: patient.id };
  const appt = await h.services.booking.book(actor, { doctorId: okafor.id, patientId: patient.id, startsAt: new Date('2026-12-03T15:00:00Z'), channel: 'sms' });
  const sent: Array<[string, string]> = [];
  const store = createRedisConversationStore(h.redis, h.prefix);
  const started = h.clock.now();
  try {
    // A day before, as the reminder worker runs it, with the service's own conversation store.
    h.clock.set('2026-12-02T15:00:00Z');
    const outcome = await processReminder(
      {
        db: h.db,
        settings: h.services.settings,
        sms: { send: async (to, body) => (sent.push([to, body]), 'sent') },
        clinicName: 'Demo Clinic',
        now: h.clock.now,
        logger: createLogger('silent', { write: () => undefined }),
        awaitReply: (to, id, at) => awaitReminderReply(store, to, id, at, h.clock.now()),
      },
      { data: { appointmentId: appt.id, offsetMinutes: 1440 } },
    );
    expect(outcome).toBe('sent');
    expect(sent).toEqual([[phone, 'Hola Rocío, le recordamos su cita en Demo Clinic el jue 3 dic a las 10:00. Responda C para confirmar, R para cambiarla o X para anularla.']]);
    h.clock.set('2026-12-02T20:00:00Z');
    await transcript(phone, [['C', /^¡Gracias, Rocío! Le esperamos el jue 3 dic, 10:00\.$/]]);
    expect((await h.db.models.Appointment.findByPk(appt.id))?.patientConfirmedAt).not.toBeNull();
  } finally {
    h.clock.set(new Date(started));
  }
});

it('answers STOP and START in Spanish when the service answers the keywords itself', async () => {
  const own = await startApp(h, { ...env, SMS_KEYWORD_REPLIES: 'service' }, { twilioClient: twilio(ACCOUNT_SID, AUTH_TOKEN, { keepAlive: false }) });
  const main = app;
  try {
    app = own;
    const phone = '+15550443008';
    await transcript(phone, [['hola', /^¡Bienvenido/], ['Elena Gómez', /^Gracias, Elena/], ['08/08/1988', /^¿Podemos/], ['vale', /^¡Listo, Elena!/]]);
    await transcript(phone, [['STOP', /^Demo Clinic: ya no le escribiremos\./]]);
    await transcript(phone, [['START', /^Vuelve a recibir los mensajes de Demo Clinic\./]]);
  } finally {
    app = main;
    await own.close();
  }
});

it('keeps Spanish replies short: none over two segments, and at least 90% in one', () => {
  if (process.env.SHOW_SEGMENTS) for (const r of replies) console.log(smsSegments(r), r.length, JSON.stringify(r));
  expect(replies.length).toBeGreaterThan(15);
  const segments = replies.map(smsSegments);
  const over = replies.filter((_, i) => segments[i] > 2);
  expect(over).toEqual([]);
  expect(segments.filter((n) => n === 1).length / replies.length).toBeGreaterThanOrEqual(0.9);
});
