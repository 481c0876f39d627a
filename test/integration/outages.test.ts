import { DateTime } from 'luxon';
import { ServiceUnavailableError } from '../../src/domain/errors';
import { createSequelize } from '../../src/db/database';
import { createDb } from '../../src/db/models';
import { insertAdmin, insertDoctor, insertPatient } from '../../src/db/records';
import { createRedis } from '../../src/locks/redis';
import { createRedlockSlotLock, slotLockKey } from '../../src/locks/slot-lock';
import { createServices } from '../../src/services';
import { deadRedis } from '../support/dead-redis';
import { createHarness, type Harness } from '../support/harness';

const NY = 'America/New_York';
const ny = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();

let h: Harness;
let alice: Awaited<ReturnType<typeof insertPatient>>;
let patel: Awaited<ReturnType<typeof insertDoctor>>;

beforeAll(async () => {
  h = await createHarness('outages', { now: '2026-12-01T12:00:00Z' });
  alice = await insertPatient(h.db, { name: 'Alice Jones', phone: '+15550000001', dateOfBirth: '1980-01-01', timeZone: NY });
  patel = await insertDoctor(h.db, { name: 'Anika Patel', timeZone: NY, hours: [{ weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }] });
  // One patient books again and again here: the clinic's per-patient caps are not what is tested.
  const admin = await insertAdmin(h.db, { name: 'Admin', email: 'admin@outages.test' });
  await h.services.settings.update(admin, 'maxPerDoctorPerDayPerPatient', 10);
  await h.services.settings.update(admin, 'maxUpcomingPerPatient', 50);
});
afterAll(() => h.close());

const attempt = (services: typeof h.services, startsAt: Date) =>
  services.booking.book(alice, { doctorId: patel.doctorId, patientId: alice.patientId, startsAt, channel: 'sms' });

describe('when a dependency is down, booking is refused cleanly and nothing is written', () => {
  it('Redis unreachable: ServiceUnavailableError("redis"), no appointment', async () => {
    const dead = deadRedis();
    const services = createServices({ db: h.db, locks: createRedlockSlotLock(dead, { prefix: h.prefix, ttlMs: 5000 }), now: h.clock.now, clinicTimezone: NY, settingsCacheMs: 0 });
    await expect(attempt(services, ny('2026-12-02T10:00'))).rejects.toMatchObject({ constructor: ServiceUnavailableError, dependency: 'redis' });
    expect(await h.db.models.Appointment.count()).toBe(0);
    dead.disconnect();
  });

  it('Redis connection lost after start-up: refused the same way', async () => {
    const redis = createRedis('redis://127.0.0.1:6379', { retryStrategy: () => null });
    await redis.connect();
    const services = createServices({ db: h.db, locks: createRedlockSlotLock(redis, { prefix: h.prefix, ttlMs: 5000 }), now: h.clock.now, clinicTimezone: NY, settingsCacheMs: 0 });
    redis.disconnect();
    await expect(attempt(services, ny('2026-12-02T10:00'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await h.db.models.Appointment.count()).toBe(0);
  });

  it('PostgreSQL unreachable: ServiceUnavailableError("database"), and the slot lock is let go', async () => {
    const deadDb = createDb(createSequelize({ url: 'postgres://postgres@127.0.0.1:1/nowhere', connectTimeoutMs: 500 }));
    const services = createServices({ db: deadDb, locks: h.locks, now: h.clock.now, clinicTimezone: NY, settingsCacheMs: 0 });
    const startsAt = ny('2026-12-02T10:00');
    await expect(attempt(services, startsAt)).rejects.toMatchObject({ constructor: ServiceUnavailableError, dependency: 'database' });
    expect(await h.redis.exists(slotLockKey(h.prefix, patel.doctorId, startsAt))).toBe(0);
    await deadDb.sequelize.close();
    // The real database, same slot: nothing stands in the way.
    await expect(attempt(h.services, startsAt)).resolves.toMatchObject({ status: 'booked' });
  });

  it('PostgreSQL drops every connection (a restart): the app recovers without being restarted', async () => {
    await h.services.settings.get();
    const name = new URL(h.url).pathname.slice(1);
    await h.db.sequelize.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()`, { replacements: { name } });
    await h.db.sequelize.query(`SELECT pg_terminate_backend(pg_backend_pid())`).catch(() => undefined);
    // The first attempt may meet a dead pooled connection; it must fail cleanly if it fails at all.
    const first = await attempt(h.services, ny('2026-12-02T11:00')).catch((e) => e);
    if (first instanceof Error) expect(first).toBeInstanceOf(ServiceUnavailableError);
    const second = await attempt(h.services, ny('2026-12-02T11:30'));
    expect(second.status).toBe('booked');
  });
});
