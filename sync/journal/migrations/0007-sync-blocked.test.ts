import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt } from './testing.ts';

describe('migration 0007: sync blocked', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('adds an empty block and keeps the sync state', () => {
    const t = databaseAt(6);
    cleanup = t.cleanup;
    t.db.prepare("UPDATE sync_state SET uploaded_through_seq = 9, last_error_code = 'CORE_TIMEOUT'").run();
    expect(migrate(t.db, t.file, 7)).toBe(7);
    expect(
      t.db
        .prepare(
          'SELECT uploaded_through_seq, last_error_code, blocked_code, blocked_message, blocked_at FROM sync_state',
        )
        .get(),
    ).toEqual({
      uploaded_through_seq: 9,
      last_error_code: 'CORE_TIMEOUT',
      blocked_code: null,
      blocked_message: null,
      blocked_at: null,
    });
  });
});
