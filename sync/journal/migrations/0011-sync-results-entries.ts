import type { Migration } from './migration.ts';

/**
 * From this version a journal may hold `sync_results` entries: the core's results for a batch of
 * payments stored offline, in one entry whose body names each payment, its seq and its new state
 * (see SyncResultsBody in entry.ts; before, one entry per payment). A build older than this one
 * would read such a journal wrong (its verify would find the payments' states unexplained, its shift
 * close would leave those results out), so it is refused by the version instead (TOO_NEW).
 *
 * The index lists those entries, so that what reads them (journal verify, a shift close) finds them
 * without walking every entry: one small row per batch of results.
 */
export const migration: Migration = {
  version: 11,
  name: 'sync-results-entries',
  up(db) {
    db.exec(`CREATE INDEX entries_sync_results ON entries (entry_seq) WHERE kind = 'sync_results';`);
  },
};
