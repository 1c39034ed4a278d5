import type { Migration } from './migration.ts';

/**
 * A signature may be put on an entry after it was committed: the head, written unsigned within the
 * signing window (see DEFAULT_SIGN_WITHIN_MS in journal.ts), gets its signature in place. That is
 * the one change let through: `sig` from NULL to 64 bytes, every other column as it was. The
 * signature is not part of any hash, so history is not rewritten. (Before this, the trigger refused
 * every UPDATE.) One trigger over the whole row, not one per column: a trigger `UPDATE OF` columns
 * doesn't fire for `SET rowid = ...`, which renumbers an entry as surely as `SET entry_seq`. A column
 * added to entries later must be added to this comparison. And no INSERT over an entry: `INSERT OR
 * REPLACE` deletes the entry it replaces without firing the delete trigger.
 */
export const migration: Migration = {
  version: 10,
  name: 'head-signed-later',
  up(db) {
    db.exec(`
      DROP TRIGGER entries_no_update;

      CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
      WHEN NOT (OLD.sig IS NULL AND NEW.sig IS NOT NULL AND length(NEW.sig) = 64
        AND NEW.entry_seq IS OLD.entry_seq AND NEW.kind IS OLD.kind AND NEW.payment_id IS OLD.payment_id
        AND NEW.at IS OLD.at AND NEW.body IS OLD.body AND NEW.prev_hash IS OLD.prev_hash
        AND NEW.hash IS OLD.hash AND NEW.mac IS OLD.mac)
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: only a signature may be added, once, of 64 bytes'); END;

      CREATE TRIGGER entries_no_replace BEFORE INSERT ON entries
      WHEN EXISTS (SELECT 1 FROM entries WHERE entry_seq = NEW.entry_seq)
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
    `);
  },
};
