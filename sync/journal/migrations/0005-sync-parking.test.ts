import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt, insertPayment } from './testing.ts';

describe('migration 0005: sync parking', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('parks existing payments only, once each, and adds the attempt columns to the sync state', () => {
    const t = databaseAt(4);
    cleanup = t.cleanup;
    insertPayment(t.db, { seq: 1 });
    t.db.prepare("UPDATE sync_state SET last_sync_at = '2026-11-25T00:00:00.000Z'").run();
    expect(migrate(t.db, t.file, 5)).toBe(5);
    expect(
      t.db.prepare('SELECT last_sync_at, last_error_code, core_contiguous_seq FROM sync_state').get(),
    ).toEqual({
      last_sync_at: '2026-11-25T00:00:00.000Z',
      last_error_code: null,
      core_contiguous_seq: 0,
    });
    t.db.prepare("INSERT INTO sync_parked (seq, reason, parked_at) VALUES (1, 'conflict', 'now')").run();
    expect(() =>
      t.db.prepare("INSERT INTO sync_parked (seq, reason, parked_at) VALUES (1, 'again', 'now')").run(),
    ).toThrow(/UNIQUE|PRIMARY/);
    expect(() =>
      t.db.prepare("INSERT INTO sync_parked (seq, reason, parked_at) VALUES (9, 'x', 'now')").run(),
    ).toThrow(/FOREIGN KEY/);
  });
});
