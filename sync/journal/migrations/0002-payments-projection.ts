import type { Migration } from './migration.ts';

/**
 * Each payment's current state, derived from the entries in the same transaction that appends them.
 * It is a read model, not history: `journal verify` checks it against the entries. `seq` is the
 * rowid, assigned as max+1 inside the write transaction, so it is gap-free and rows append at the
 * end; payment ids are UUIDv7 (time-ordered) for the same reason. `code_hash` is unique, so a payment
 * code can be used once per terminal. Every index here costs a page write per payment, so there are
 * only the ones a payment needs.
 */
export const migration: Migration = {
  version: 2,
  name: 'payments-projection',
  up(db) {
    db.exec(`
      CREATE TABLE payments (
        seq            INTEGER PRIMARY KEY CHECK (seq > 0),
        payment_id     TEXT NOT NULL UNIQUE,
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

      CREATE INDEX payments_by_status ON payments (status, seq);

      -- Count and sum per status and currency, kept by triggers in the same transaction: the
      -- offline policy reads what is stored unsynced inside every payment's transaction, and this
      -- makes that a lookup instead of a scan. Checked against the payments by journal verify.
      CREATE TABLE payment_totals (
        status      TEXT NOT NULL,
        currency    TEXT NOT NULL,
        count       INTEGER NOT NULL,
        total_minor INTEGER NOT NULL,
        PRIMARY KEY (status, currency)
      ) STRICT, WITHOUT ROWID;

      CREATE TRIGGER payments_count_insert AFTER INSERT ON payments
      BEGIN
        INSERT INTO payment_totals (status, currency, count, total_minor)
        VALUES (NEW.status, NEW.currency, 1, NEW.amount_minor)
        ON CONFLICT (status, currency) DO UPDATE
        SET count = count + 1, total_minor = total_minor + excluded.total_minor;
      END;

      CREATE TRIGGER payments_count_update AFTER UPDATE OF status ON payments
      WHEN OLD.status IS NOT NEW.status
      BEGIN
        UPDATE payment_totals SET count = count - 1, total_minor = total_minor - OLD.amount_minor
        WHERE status = OLD.status AND currency = OLD.currency;
        INSERT INTO payment_totals (status, currency, count, total_minor)
        VALUES (NEW.status, NEW.currency, 1, NEW.amount_minor)
        ON CONFLICT (status, currency) DO UPDATE
        SET count = count + 1, total_minor = total_minor + excluded.total_minor;
      END;
    `);
  },
};
