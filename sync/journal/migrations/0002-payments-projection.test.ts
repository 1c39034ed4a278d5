import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt, insertEntry, insertPayment, plan } from './testing.ts';

describe('migration 0002: payments projection and totals', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('migrates a journal at version 1 with entries in it, keeping them', () => {
    const t = databaseAt(1);
    cleanup = t.cleanup;
    insertEntry(t.db, 1, 'captured', 'p1');
    expect(migrate(t.db, t.file, 2)).toBe(2);
    expect(t.db.prepare('SELECT count(*) FROM entries').pluck().get()).toBe(1);
  });

  it('keeps count and sum per status and currency through inserts and state changes', () => {
    const t = databaseAt(2);
    cleanup = t.cleanup;
    insertPayment(t.db, { seq: 1, amount: 1000 });
    insertPayment(t.db, { seq: 2, amount: 250 });
    insertPayment(t.db, { seq: 3, amount: 500, currency: 'HKD' });
    insertPayment(t.db, { seq: 4, amount: 99, status: 'declined' });
    t.db.prepare("UPDATE payments SET status = 'settled' WHERE seq = 1").run();
    t.db.prepare("UPDATE payments SET reason = 'x' WHERE seq = 2").run(); // not a state change
    const totals = t.db
      .prepare('SELECT status, currency, count, total_minor FROM payment_totals ORDER BY 1, 2')
      .all();
    expect(totals).toEqual([
      { status: 'accepted_offline', currency: 'CNY', count: 1, total_minor: 250 },
      { status: 'accepted_offline', currency: 'HKD', count: 1, total_minor: 500 },
      { status: 'declined', currency: 'CNY', count: 1, total_minor: 99 },
      { status: 'settled', currency: 'CNY', count: 1, total_minor: 1000 },
    ]);
  });

  it('refuses a second payment with the same code, seq or id, and non-positive amounts', () => {
    const t = databaseAt(2);
    cleanup = t.cleanup;
    insertPayment(t.db, { seq: 1, codeHash: 'same' });
    expect(() => insertPayment(t.db, { seq: 2, codeHash: 'same' })).toThrow(/UNIQUE.*code_hash/);
    expect(() => insertPayment(t.db, { seq: 1, codeHash: 'other' })).toThrow(/UNIQUE|PRIMARY/);
    expect(() => insertPayment(t.db, { seq: 3, amount: 0 })).toThrow(/CHECK/);
  });

  it('reads the stored offline payments from the status index', () => {
    const t = databaseAt(2);
    cleanup = t.cleanup;
    expect(
      plan(t.db, "SELECT captured_at FROM payments WHERE status = 'accepted_offline' ORDER BY seq LIMIT 1"),
    ).toContain('payments_by_status');
    expect(
      plan(t.db, 'SELECT * FROM payments WHERE status = ? ORDER BY seq DESC LIMIT 20', 'declined'),
    ).toContain('payments_by_status');
    expect(plan(t.db, 'SELECT 1 FROM payments WHERE code_hash = ?', Buffer.from('x'))).toMatch(/INDEX/);
  });
});
