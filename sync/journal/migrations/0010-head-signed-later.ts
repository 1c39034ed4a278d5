import type { Migration } from './migration.ts';

/**
 * A signature may be put on an entry after it was committed: the head, written unsigned within the
 * signing window (see DEFAULT_SIGN_WITHIN_MS in journal.ts), gets its signature in place. That is
 * the one change let through: `sig` from NULL to 64 bytes. The signature is not part of any hash,
 * so history is not rewritten; every other column stays append-only, and so does a signature once
 * made. (Before this, a trigger refused every UPDATE.)
 */
export const migration: Migration = {
  version: 10,
  name: 'head-signed-later',
  up(db) {
    db.exec(`
      DROP TRIGGER entries_no_update;

      CREATE TRIGGER entries_no_update
      BEFORE UPDATE OF entry_seq, kind, payment_id, at, body, prev_hash, hash, mac ON entries
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;

      CREATE TRIGGER entries_signed_once BEFORE UPDATE OF sig ON entries
      WHEN OLD.sig IS NOT NULL OR NEW.sig IS NULL OR length(NEW.sig) <> 64
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: an entry is signed once, with 64 bytes'); END;
    `);
  },
};
