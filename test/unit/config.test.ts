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

describe('safe defaults: a missing setting closes a door', () => {
  it('is production when NODE_ENV is unset', () => {
    expect(loadConfig({}).env).toBe('production');
  });

  it('refuses an http PUBLIC_BASE_URL in production, but not one on this machine (with a warning)', () => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'http://bot.example-clinic.org' })).toThrow(/PUBLIC_BASE_URL: must be an https:\/\/ URL in production/);
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://bot.example-clinic.org' }).publicBaseUrl).toBe('https://bot.example-clinic.org');
    expect(loadConfig({ PUBLIC_BASE_URL: 'http://localhost:3978' }).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/no platform can reach this service/)]));
    expect(loadConfig({ NODE_ENV: 'development', PUBLIC_BASE_URL: 'http://bot.example-clinic.org' }).warnings).toEqual([]);
  });

  it('warns in production when the database or Redis has no password or no TLS, naming no secret', () => {
    const c = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.org', DATABASE_URL: 'postgres://app@db.internal:5432/cc', REDIS_URL: 'redis://cache.internal:6379' });
    expect(c.warnings).toEqual(
      expect.arrayContaining([
        'DATABASE_URL (db.internal) has no password',
        expect.stringMatching(/^DATABASE_URL \(db\.internal\) does not require TLS/),
        'REDIS_URL (cache.internal) has no password',
        'REDIS_URL (cache.internal) does not use TLS (rediss://)',
      ]),
    );
    const strong = loadConfig({
      PUBLIC_BASE_URL: 'https://bot.example.org',
      DATABASE_URL: 'postgres://app:s3cret-pw@db.internal:5432/cc?sslmode=verify-full',
      REDIS_URL: 'rediss://:s3cret-pw@cache.internal:6380',
    });
    expect(strong.warnings).toEqual([]);
    expect(JSON.stringify(c.warnings)).not.toContain('s3cret');
    // PostgreSQL's Unix socket on the same host: a password is still asked for, TLS is not.
    const socket = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.org', DATABASE_URL: 'postgres://app@localhost/cc?host=/var/run/postgresql', REDIS_URL: 'rediss://:s3cret-pw@cache.internal:6380' });
    expect(socket.warnings).toEqual(['DATABASE_URL (/var/run/postgresql) has no password']);
    // A host parameter that is not a socket path does not excuse a remote server from TLS.
    const remote = loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.org', DATABASE_URL: 'postgres://app:pw@x/cc?host=db.internal', REDIS_URL: 'rediss://:s3cret-pw@cache.internal:6380' });
    expect(remote.warnings).toEqual([expect.stringMatching(/does not require TLS/)]);
    // A URL without a host is refused with the form to use, not a crash.
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://bot.example.org', DATABASE_URL: 'postgres://app@/cc?host=/var/run/postgresql' })).toThrow(/DATABASE_URL.*postgres:\/\/user@localhost\/db\?host=\/var\/run\/postgresql/);
  });

  it('runs Teams in production only for the tenants it names, and never opens it for the Emulator there', () => {
    const creds = { PUBLIC_BASE_URL: 'https://bot.example.org', MICROSOFT_APP_ID: 'app-id', MICROSOFT_APP_PASSWORD: 'pw' };
    expect(() => loadConfig(creds)).toThrow(/TEAMS_ALLOWED_TENANTS: in production Teams answers only the organisations listed here/);
    expect(loadConfig({ ...creds, TEAMS_ALLOWED_TENANTS: 'tenant-a, tenant-b' }).teams!.allowedTenants).toEqual(['tenant-a', 'tenant-b']);
    expect(loadConfig({ ...creds, MICROSOFT_APP_TENANT_ID: 'tenant-c' }).teams!.allowedTenants).toEqual(['tenant-c']);
    expect(() => loadConfig({ TEAMS_EMULATOR_OPEN: 'true' })).toThrow(/TEAMS_EMULATOR_OPEN: the unauthenticated Emulator mode is never allowed with NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'development', TEAMS_EMULATOR_OPEN: 'true' }).teamsEmulatorOpen).toBe(true);
    // Without its own switch, no environment opens it.
    expect(loadConfig({ NODE_ENV: 'development' }).teamsEmulatorOpen).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).teams).toBeNull();
  });
});
