import type { Migration } from './migration.ts';

/**
 * Sync bookkeeping on the terminal: payments the core refused for good (a conflict, a request it
 * can't accept) are parked with the reason and shown, never retried blindly; and the last attempt
 * and its error, so `suanpan queue` can say why nothing is moving.
 */
export const migration: Migration = {
  version: 5,
  name: 'sync-parking',
  up(db) {
    db.exec(`
      CREATE TABLE sync_parked (
        seq       INTEGER PRIMARY KEY REFERENCES payments (seq),
        reason    TEXT NOT NULL,
        parked_at TEXT NOT NULL
      ) STRICT;

      ALTER TABLE sync_state ADD COLUMN last_attempt_at TEXT;
      ALTER TABLE sync_state ADD COLUMN last_error_code TEXT;
      ALTER TABLE sync_state ADD COLUMN last_error_message TEXT;
      ALTER TABLE sync_state ADD COLUMN core_contiguous_seq INTEGER NOT NULL DEFAULT 0;
    `);
  },
};
