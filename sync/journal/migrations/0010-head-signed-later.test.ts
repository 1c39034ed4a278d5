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
    expect(() => setSig.run(sig(2), 1)).toThrow(/only a signature may be added, once/);
    expect(() => setSig.run(null, 1)).toThrow(/only a signature may be added, once/);
    // Only a signature's length.
    expect(() => setSig.run(sig(3, 63), 2)).toThrow(/of 64 bytes/);
    expect(() => setSig.run(null, 2)).toThrow(/only a signature may be added, once/);
    // Every other column stays append-only: no update that doesn't add a signature, and no change
    // to any of them beside one.
    const changed: Record<string, string> = {
      entry_seq: '99',
      kind: "'voided'",
      payment_id: "'p9'",
      at: "'2020-01-01T00:00:00.000Z'",
      body: `'{"x":1}'`,
      prev_hash: 'randomblob(32)',
      hash: 'randomblob(32)',
      mac: 'randomblob(32)',
    };
    for (const [column, value] of Object.entries(changed)) {
      expect(() =>
        t.db.prepare(`UPDATE entries SET ${column} = ${column} WHERE entry_seq = 2`).run(),
      ).toThrow(/append-only/);
      expect(() =>
        t.db.prepare(`UPDATE entries SET sig = ?, ${column} = ${value} WHERE entry_seq = 2`).run(sig(4)),
      ).toThrow(/append-only/);
    }
    // Nor renumbered through the rowid, which entry_seq stands for.
    for (const alias of ['rowid', '_rowid_', 'oid'])
      expect(() => t.db.prepare(`UPDATE entries SET ${alias} = 99 WHERE entry_seq = 2`).run()).toThrow(
        /append-only/,
      );
    expect(t.db.prepare('SELECT sig FROM entries WHERE entry_seq = 2').pluck().get()).toBeNull();
    expect(() => t.db.prepare('DELETE FROM entries WHERE entry_seq = 2').run()).toThrow(/append-only/);
    // Nor replaced whole, which deletes the old row without the delete trigger.
    for (const verb of ['INSERT OR REPLACE', 'REPLACE'])
      expect(() =>
        t.db
          .prepare(
            `${verb} INTO entries (entry_seq, kind, payment_id, at, body, prev_hash, hash, sig, mac)
             SELECT entry_seq, kind, payment_id, at, '{}', prev_hash, hash, NULL, mac FROM entries WHERE entry_seq = 1`,
          )
          .run(),
      ).toThrow(/append-only/);
    expect(t.db.prepare('SELECT sig FROM entries WHERE entry_seq = 1').pluck().get()).toEqual(sig(1));
  });
});
