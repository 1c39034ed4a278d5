import type { Migration } from './migration.ts';

/**
 * The hash-chained, signed entries (the history) and the journal's identity. Triggers refuse UPDATE
 * and DELETE on entries so no code path of ours can rewrite history; corrections are new entries.
 * `sig` is the Ed25519 signature of the last entry of each transaction (NULL on the others, which
 * it covers through the chain; since migration 0010 it may be put on later, see there); `mac` is
 * every entry's keyed MAC, for pinpointing a change.
 */
export const migration: Migration = {
  version: 1,
  name: 'journal-entries',
  up(db) {
    db.exec(`
      CREATE TABLE journal_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE entries (
        entry_seq  INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        payment_id TEXT,
        at         TEXT NOT NULL,
        body       TEXT NOT NULL,
        prev_hash  BLOB NOT NULL,
        hash       BLOB NOT NULL,
        sig        BLOB,
        mac        BLOB NOT NULL
      ) STRICT;

      CREATE INDEX entries_by_payment ON entries (payment_id, entry_seq) WHERE payment_id IS NOT NULL;

      CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;

      CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
    `);
  },
};
