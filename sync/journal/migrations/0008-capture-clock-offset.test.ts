import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt } from './testing.ts';

describe('migration 0008: capture clock offset', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('adds an unknown offset to every payment and keeps the rest of the row', () => {
    const t = databaseAt(7);
    cleanup = t.cleanup;
    t.db
      .prepare(
        `INSERT INTO payments (payment_id, seq, amount_minor, currency, scheme, code_hash, code_masked, mode,
           status, reason, captured_at, updated_at, last_entry_seq)
         VALUES ('p1', 1, 1250, 'CNY', 'alipay', x'01', '28****56', 'offline', 'accepted_offline', NULL,
           '2026-11-25T09:30:00.000Z', '2026-11-25T09:30:00.000Z', 1)`,
      )
      .run();
    expect(migrate(t.db, t.file, 8)).toBe(8);
    expect(t.db.prepare('SELECT seq, amount_minor, status, clock_offset_ms FROM payments').all()).toEqual([
      { seq: 1, amount_minor: 1250, status: 'accepted_offline', clock_offset_ms: null },
    ]);
    // An integer column of a STRICT table: a stray text value is refused, not stored.
    expect(() => t.db.prepare("UPDATE payments SET clock_offset_ms = 'soon'").run()).toThrow(
      /cannot store TEXT/,
    );
  });
});
