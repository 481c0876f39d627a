import { Client } from 'pg';
import { DateTime } from 'luxon';
import { createSequelize, checkPooledSession } from '../../src/db/database';
import { createDb } from '../../src/db/models';
import { insertAdmin, insertPatient } from '../../src/db/records';
import { seedDemoClinic } from '../../src/db/seed';
import { noSlotLock } from '../../src/locks/slot-lock';
import { reminderRepository } from '../../src/repositories/reminders';
import { createServices } from '../../src/services';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * Managed PostgreSQL behind PgBouncer in transaction pooling hands each transaction whatever server
 * connection is free, so nothing may be set per session: no SET on connect or later, no startup
 * parameters, no prepared statements by name, no LISTEN, no session advisory locks, no temporary
 * tables. Every statement the service sends in DATABASE_PGBOUNCER mode is recorded here, at the
 * driver, while it books, cancels, moves, registers, changes a setting, reports and runs the
 * reminder workers' statements; none of them may keep state in the session.
 */
const SESSION_STATE = /^\s*(SET(?!\s+(LOCAL|TRANSACTION|CONSTRAINTS))|RESET|PREPARE|DEALLOCATE|LISTEN|UNLISTEN|DISCARD|CREATE\s+TEMP|DECLARE\b[^;]*\bWITH\s+HOLD)|pg_advisory_lock\(|pg_advisory_unlock\(|set_config\([^)]*,\s*false\s*\)/im;

let t: TestDatabase;
const sent: string[] = [];
const startup: Array<Record<string, unknown>> = [];
const original = Client.prototype.query;
const originalConnect = Client.prototype.connect;

beforeAll(async () => {
  t = await createTestDatabase('pooled');
  // Recorded at the driver: every statement any connection sends, and every connection's options.
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string; name?: string };
    sent.push(typeof q === 'string' ? q : `${q?.name ? `[named ${q.name}] ` : ''}${q?.text ?? ''}`);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  Client.prototype.connect = function (this: Client, ...args: unknown[]) {
    const p = this as unknown as { connectionParameters: Record<string, unknown> };
    startup.push({ statement_timeout: p.connectionParameters.statement_timeout, idle: p.connectionParameters.idle_in_transaction_session_timeout, options: p.connectionParameters.options });
    return (originalConnect as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.connect;
});
afterAll(async () => {
  Client.prototype.query = original;
  Client.prototype.connect = originalConnect;
  await t.drop();
});

test('in DATABASE_PGBOUNCER mode the service keeps no state in the session', async () => {
  const sequelize = createSequelize({ url: t.url, poolMax: 4, pgbouncer: true });
  const db = createDb(sequelize);
  try {
    // The role gives UTC here; a pooled deployment sets it on its role (see the README).
    expect(await checkPooledSession(sequelize)).toEqual(expect.any(Array));
    sent.length = 0;
    startup.length = 0;
    await seedDemoClinic(db);
    const now = DateTime.fromISO('2026-11-30T08:00', { zone: 'America/New_York' }).toMillis();
    const services = createServices({ db, locks: noSlotLock, now: () => now, clinicTimezone: 'America/New_York', settingsCacheMs: 0 });
    const admin = await insertAdmin(db, { name: 'Pool Admin', email: 'pool@demo.clinic' });
    const p = await insertPatient(db, { name: 'Pool Patient', phone: '+15550808080', dateOfBirth: '1980-01-01', timeZone: 'America/New_York' });
    const patel = (await db.models.Doctor.findOne({ where: { fullName: 'Anika Patel' } }))!;
    const at = (iso: string) => DateTime.fromISO(iso, { zone: 'America/New_York' }).toJSDate();
    const a = await services.booking.book(p, { doctorId: patel.id, patientId: p.patientId, startsAt: at('2026-12-02T10:00'), channel: 'sms' });
    const moved = await services.booking.reschedule(p, a.id, at('2026-12-02T11:00'));
    await services.booking.cancel(p, moved.id);
    await services.patients.register({ phone: '+15550808081', fullName: 'New Pool', dateOfBirth: '1990-02-03', timeZone: 'America/New_York' });
    await services.identity.resolve('sms', '+15550808080');
    await services.settings.update(admin, 'bookingHorizonDays', 45);
    await services.reports.report(admin, '2026-11-30', '2026-12-06');
    await services.availability.freeSlots(patel.id, at('2026-12-01T00:00'), at('2026-12-08T00:00'));
    const repo = reminderRepository(db);
    await repo.claim(moved.id, 120, new Date(now));
    await repo.drainOutbox(100, new Date(now), async () => undefined);

    expect(sent.length).toBeGreaterThan(30);
    expect(sent.filter((q) => SESSION_STATE.test(q) || q.startsWith('[named'))).toEqual([]);
    // And nothing set at connection start either.
    expect(startup.length).toBeGreaterThan(0);
    expect(startup.filter((s) => s.statement_timeout || s.idle || s.options)).toEqual([]);
  } finally {
    await sequelize.close();
  }
});

test('the check does see session state: the default mode sets the time zone and timeouts per session', async () => {
  const sequelize = createSequelize({ url: t.url, poolMax: 1 });
  try {
    sent.length = 0;
    startup.length = 0;
    await sequelize.query('SELECT 1');
    expect(sent.some((q) => SESSION_STATE.test(q))).toBe(true);
    expect(startup.some((s) => s.statement_timeout === 15_000)).toBe(true);
  } finally {
    await sequelize.close();
  }
});
