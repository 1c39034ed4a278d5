import type { Migration } from './migration.ts';

/**
 * Each payment's current state, derived from the entries in the same transaction that appends them.
 * It is a read model, not history: `journal verify` checks it against the entries. `seq` is unique
 * and assigned as max+1 inside the write transaction, so it is gap-free; `code_hash` is unique, so a
 * payment code can be used once per terminal.
 */
export const migration: Migration = {
  version: 2,
  name: 'payments-projection',
  up(db) {
    db.exec(`
      CREATE TABLE payments (
        payment_id     TEXT PRIMARY KEY,
        seq            INTEGER NOT NULL UNIQUE CHECK (seq > 0),
        amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
        currency       TEXT NOT NULL,
        scheme         TEXT NOT NULL,
        code_hash      BLOB NOT NULL UNIQUE,
        code_masked    TEXT NOT NULL,
        mode           TEXT CHECK (mode IN ('online', 'offline')),
        status         TEXT NOT NULL,
        reason         TEXT,
        captured_at    TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        last_entry_seq INTEGER NOT NULL
      ) STRICT;

      -- The offline policy sums what is stored unsynced (status = 'accepted_offline') on every payment.
      CREATE INDEX payments_by_status ON payments (status, seq);
    `);
  },
};
