import type { Migration } from './migration.ts';

/**
 * Raw payment codes, kept apart from the hashed history: only while the core may still need one to
 * take the payment (captured, accepted offline). Deleting a row here rewrites no entry, and the
 * connection runs with secure_delete so the freed page is zeroed.
 */
export const migration: Migration = {
  version: 3,
  name: 'payment-code-vault',
  up(db) {
    db.exec(`
      CREATE TABLE payment_code_vault (
        seq  INTEGER PRIMARY KEY REFERENCES payments (seq),
        code TEXT NOT NULL
      ) STRICT;
    `);
  },
};
