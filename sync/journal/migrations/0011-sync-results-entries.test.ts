import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt, insertEntry, plan } from './testing.ts';

describe('migration 0011: sync results as one entry per batch', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('indexes the sync_results entries, those written before it too, and only those', () => {
    const t = databaseAt(10);
    cleanup = t.cleanup;
    insertEntry(t.db, 1, 'captured', 'p1');
    insertEntry(t.db, 2, 'sync_results', null);
    insertEntry(t.db, 3, 'settled', 'p1');
    expect(migrate(t.db, t.file, 11)).toBe(11);
    insertEntry(t.db, 4, 'sync_results', null);
    // What journal verify and a shift close read: those entries through the index, in order.
    const sql =
      "SELECT e.entry_seq FROM entries e WHERE e.kind = 'sync_results' AND e.entry_seq > ? ORDER BY e.entry_seq";
    expect(plan(t.db, sql, 0)).toContain('entries_sync_results');
    expect(t.db.prepare(sql).pluck().all(0)).toEqual([2, 4]);
    expect(
      t.db
        .prepare("SELECT count(*) FROM entries INDEXED BY entries_sync_results WHERE kind = 'sync_results'")
        .pluck()
        .get(),
    ).toBe(2);
  });
});
