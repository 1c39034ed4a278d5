/** Helpers for the core's migration tests: each test on a new database of every backend. */
import { afterEach, describe } from 'vitest';
import type { CoreDb } from '../db.ts';
import { BACKENDS, openTestDb, POSTGRES_SKIP_REASON, postgresAvailable } from '../testing.ts';

/** Opens a new database of the backend, migrated to `migrateTo` (null: not at all); removed after the test. */
export type OpenMigrationDb = (options: { migrateTo: number | null }) => Promise<CoreDb>;

/**
 * Declares `tests` once per backend (a new PostgreSQL database, a PGlite folder), as
 * "`title` on <backend>"; PostgreSQL's are skipped with the reason where it is not running.
 */
export async function describeOnBackends(
  title: string,
  tests: (openDb: OpenMigrationDb) => void,
): Promise<void> {
  const pgOk = await postgresAvailable();
  describe.each(BACKENDS)(`${title} on %s`, (backend) => {
    const skip = backend === 'postgres' && !pgOk;
    let cleanup = async () => {};
    afterEach(async () => {
      await cleanup();
      cleanup = async () => {};
    });
    describe.skipIf(skip)(`(${skip ? POSTGRES_SKIP_REASON : 'running'})`, () => {
      tests(async (options) => {
        const t = await openTestDb(backend, options);
        cleanup = t.cleanup;
        return t.db;
      });
    });
  });
}
