import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt, insertEntry } from './testing.ts';

describe('migration 0010: a head signed after it was written', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  const sig = (byte: number, length = 64) => Buffer.alloc(length, byte);

  it('lets an unsigned entry be signed once, with 64 bytes, and nothing else change', () => {
    const t = databaseAt(9);
    cleanup = t.cleanup;
    insertEntry(t.db, 1, 'captured', 'p1');
    insertEntry(t.db, 2, 'captured', 'p2');
    const setSig = t.db.prepare('UPDATE entries SET sig = ? WHERE entry_seq = ?');
    // Before: no change at all.
    expect(() => setSig.run(sig(1), 1)).toThrow(/append-only/);
    expect(migrate(t.db, t.file, 10)).toBe(10);

    setSig.run(sig(1), 1);
    expect(t.db.prepare('SELECT sig FROM entries WHERE entry_seq = 1').pluck().get()).toEqual(sig(1));
    // A signature once made stays: not replaced, not removed.
    expect(() => setSig.run(sig(2), 1)).toThrow(/signed once/);
    expect(() => setSig.run(null, 1)).toThrow(/signed once/);
    // Only a signature's length.
    expect(() => setSig.run(sig(3, 63), 2)).toThrow(/64 bytes/);
    expect(() => setSig.run(null, 2)).toThrow(/signed once/);
    // Every other column stays append-only, alone or beside a signature.
    for (const column of ['entry_seq', 'kind', 'payment_id', 'at', 'body', 'prev_hash', 'hash', 'mac']) {
      expect(() =>
        t.db.prepare(`UPDATE entries SET ${column} = ${column} WHERE entry_seq = 2`).run(),
      ).toThrow(/append-only/);
      expect(() =>
        t.db.prepare(`UPDATE entries SET sig = ?, ${column} = ${column} WHERE entry_seq = 2`).run(sig(4)),
      ).toThrow(/append-only/);
    }
    expect(t.db.prepare('SELECT sig FROM entries WHERE entry_seq = 2').pluck().get()).toBeNull();
    expect(() => t.db.prepare('DELETE FROM entries WHERE entry_seq = 2').run()).toThrow(/append-only/);
  });
});
