import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './index.ts';
import { databaseAt } from './testing.ts';

describe('migration 0006: sync upload mark', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('adds the upload mark at 0 and keeps the sync state', () => {
    const t = databaseAt(5);
    cleanup = t.cleanup;
    t.db.prepare('UPDATE sync_state SET core_contiguous_seq = 7').run();
    expect(migrate(t.db, t.file, 6)).toBe(6);
    expect(t.db.prepare('SELECT core_contiguous_seq, uploaded_through_seq FROM sync_state').get()).toEqual({
      core_contiguous_seq: 7,
      uploaded_through_seq: 0,
    });
  });
});
