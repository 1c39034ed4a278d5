import type { Migration } from './migration.ts';

/**
 * The raw payment code moves from its own table into the payment's row, still apart from the
 * hashed, signed entries: `payments.code`, set at capture while the core may still need it, set to
 * NULL in the same statement that moves the payment on (settled, declined, ...). One b-tree fewer
 * per payment: a capture wrote about 9 pages of WAL, the code's table one of them, and a
 * settlement deleted from it. The connection runs with secure_delete, so the bytes of a code
 * erased (and of the table dropped here) are overwritten with zeros.
 */
export const migration: Migration = {
  version: 9,
  name: 'payment-code-in-row',
  up(db) {
    db.exec(`
      ALTER TABLE payments ADD COLUMN code TEXT;
      UPDATE payments SET code = v.code FROM payment_code_vault v WHERE v.seq = payments.seq;
      DROP TABLE payment_code_vault;
    `);
  },
};
