import { ConfigError, loadConfig } from '../../src/config';

describe('configuration from the environment', () => {
  it('points at the local PostgreSQL and Redis when nothing is set', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/clinic_concierge');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.port).toBe(3978);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(3978);
  });

  it('names every bad variable in one clear message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', CLINIC_TIMEZONE: 'Mars/Olympus', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/CLINIC_TIMEZONE: must be an IANA time zone/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });
});
