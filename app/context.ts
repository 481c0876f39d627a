import type Redis from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from '../src/config';
import { systemClock, type Clock } from '../src/domain/clock';
import { checkPooledSession, createSequelize } from '../src/db/database';
import { createDb, type Db } from '../src/db/models';
import { createRedis, connectRedis } from '../src/locks/redis';
import { createRedlockSlotLock } from '../src/locks/slot-lock';
import type { Logger } from '../src/logging';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { createServices, type Services } from '../src/services';

/** Everything the service runs on, built from config; close() releases it all, in reverse order. */
export interface AppContext {
  config: Config;
  db: Db;
  redis: Redis;
  services: Services;
  now: Clock;
  /** The service's Prometheus figures (GET /metrics when configured). */
  metrics?: Metrics;
  close(): Promise<void>;
}

export async function createAppContext(config: Config, logger: Logger, now: Clock = systemClock): Promise<AppContext> {
  const sequelize: Sequelize = createSequelize({ url: config.databaseUrl, poolMax: config.databasePoolMax, pgbouncer: config.databasePgbouncer });
  const db = createDb(sequelize, { namedStatements: !config.databasePgbouncer });
  const redis = createRedis(config.redis);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  await sequelize.authenticate();
  if (config.databasePgbouncer) for (const warning of await checkPooledSession(sequelize)) logger.warn({ security: false }, `PgBouncer: ${warning}`);
  await connectRedis(redis);
  const metrics = createMetrics();
  metrics.watchPool(sequelize);
  metrics.watchRedis(redis, 'main');
  const locks = createRedlockSlotLock(redis, { prefix: config.redisPrefix, ttlMs: config.bookingLockTtlMs, onRefused: metrics.lockRefused });
  const services = createServices({
    db,
    locks,
    now,
    clinicTimezone: config.clinicTimezone,
    observeBooking: metrics.booking,
    onEventError: (err, event) => logger.error({ err, event: event.type, appointmentId: 'appointment' in event ? event.appointment.id : undefined }, 'appointment listener failed'),
  });
  return {
    config,
    db,
    redis,
    services,
    now,
    metrics,
    async close() {
      redis.disconnect();
      await sequelize.close();
    },
  };
}
