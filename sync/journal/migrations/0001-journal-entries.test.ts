import { afterEach, describe, expect, it } from 'vitest';
import { databaseAt, insertEntry, plan } from './testing.ts';

describe('migration 0001: journal entries', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('creates append-only entries and the journal header', () => {
    const t = databaseAt(1);
    cleanup = t.cleanup;
    expect(t.db.pragma('user_version', { simple: true })).toBe(1);
    insertEntry(t.db, 1, 'captured', 'p1');
    insertEntry(t.db, 2, 'accepted_offline', 'p1');
    insertEntry(t.db, 3, 'shift_closed', null);
    expect(() => t.db.prepare("UPDATE entries SET kind = 'voided' WHERE entry_seq = 2").run()).toThrow(
      /append-only/,
    );
    expect(() => t.db.prepare('DELETE FROM entries WHERE entry_seq = 3').run()).toThrow(/append-only/);
    expect(() => insertEntry(t.db, 3, 'voided', 'p1')).toThrow(/UNIQUE|PRIMARY KEY/);
    t.db.prepare("INSERT INTO journal_meta (key, value) VALUES ('format', 'suanpan-journal/1')").run();
    expect(() => t.db.prepare("INSERT INTO journal_meta (key, value) VALUES ('format', 'x')").run()).toThrow(
      /UNIQUE/,
    );
  });

  it("finds a payment's entries through its index", () => {
    const t = databaseAt(1);
    cleanup = t.cleanup;
    expect(
      plan(t.db, 'SELECT * FROM entries WHERE payment_id = ? ORDER BY entry_seq DESC LIMIT 1', 'p1'),
    ).toContain('entries_by_payment');
  });
});
