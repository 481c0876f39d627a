/**
 * One of the separate Node processes in the race test: books every patient it is given into the
 * same slot, all at once, against the shared database and Redis, and prints what happened as JSON.
 */
import { DomainError } from '../../src/domain/errors';
import { createSequelize } from '../../src/db/database';
import { createDb } from '../../src/db/models';
import { connectRedis, createRedis } from '../../src/locks/redis';
import { createRedlockSlotLock, noSlotLock } from '../../src/locks/slot-lock';
import { createServices } from '../../src/services';

async function main(): Promise<void> {
  const input = JSON.parse(process.env.RACE_INPUT!) as {
    databaseUrl: string;
    redisUrl: string;
    prefix: string;
    now: number;
    doctorId: string;
    startsAt: string;
    patients: Array<{ userId: string; patientId: string }>;
    lock: 'redlock' | 'none';
  };
  const db = createDb(createSequelize({ url: input.databaseUrl, poolMax: 20 }));
  const redis = await connectRedis(createRedis(input.redisUrl));
  const locks = input.lock === 'none' ? noSlotLock : createRedlockSlotLock(redis, { prefix: input.prefix, ttlMs: 5000 });
  const services = createServices({ db, locks, now: () => input.now, clinicTimezone: 'America/New_York', settingsCacheMs: 60_000 });
  const startsAt = new Date(input.startsAt);
  // Line everyone up before the gun so the attempts really overlap.
  await services.settings.get();
  const results = await Promise.allSettled(
    input.patients.map((p) =>
      services.booking.book({ userId: p.userId, role: 'patient', patientId: p.patientId }, { doctorId: input.doctorId, patientId: p.patientId, startsAt, channel: 'sms' }),
    ),
  );
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 'fulfilled' ? 'booked' : r.reason instanceof DomainError ? r.reason.constructor.name : `crash:${String(r.reason?.message ?? r.reason)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  process.stdout.write(JSON.stringify(counts));
  redis.disconnect();
  await db.sequelize.close();
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err));
  process.exit(1);
});
