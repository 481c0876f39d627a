import { Client } from 'pg';
import { TEST_DATABASE_URL } from '../support/env';
import { currentRunId, holdRunLock, isRunId, newRunId, runIdOf, runIsGone, scopedName } from '../support/run-scope';

describe('test runs keep to their own names', () => {
  it('names every database and key after the run, and reads the run back from the name', () => {
    const name = scopedName('Teams adapter!');
    expect(name).toMatch(new RegExp(`^cc_test_${currentRunId()}_teams_adapter__[0-9a-f]{8}$`));
    expect(runIdOf(name)).toBe(currentRunId());
    expect(runIdOf(`${name}:conv:abc`)).toBe(currentRunId());
    // Names of the old layout, or anyone else's, belong to no run and are never taken for one.
    expect(runIdOf('cc_test_teams_adapter_1a2b3c4d')).toBeNull();
    expect(runIdOf('cc_test_template')).toBeNull();
    expect(isRunId(newRunId())).toBe(true);
  });

  it('tells a live run from a gone one by its lock, so a live run is never cleaned up', async () => {
    const other = newRunId();
    const owner = new Client({ connectionString: TEST_DATABASE_URL });
    const looker = new Client({ connectionString: TEST_DATABASE_URL });
    await owner.connect();
    await looker.connect();
    try {
      await holdRunLock(owner, other);
      expect(await runIsGone(looker, other)).toBe(false);
      // Looking twice must not take the lock from the owner.
      expect(await runIsGone(looker, other)).toBe(false);
      // This very run is alive while its tests run.
      expect(await runIsGone(looker, currentRunId())).toBe(false);
      await owner.end();
      expect(await runIsGone(looker, other)).toBe(true);
    } finally {
      await owner.end().catch(() => undefined);
      await looker.end();
    }
  });
});
