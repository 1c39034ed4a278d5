import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalError } from '../errors.ts';
import { LATEST_VERSION, migrate } from './index.ts';
import { databaseAt } from './testing.ts';

describe('migration 0004: sync state', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('holds exactly one row, empty until the first sync', () => {
    const t = databaseAt(4);
    cleanup = t.cleanup;
    expect(t.db.prepare('SELECT * FROM sync_state').all()).toEqual([
      { id: 1, last_sync_at: null, anchored_entry_seq: null, anchored_hash: null },
    ]);
    expect(() => t.db.prepare('INSERT INTO sync_state (id) VALUES (2)').run()).toThrow(/CHECK/);
  });
});

describe('migrations', () => {
  it('run in order from an empty file to the latest, each in its own transaction', () => {
    const t = databaseAt(0);
    try {
      expect(t.db.pragma('user_version', { simple: true })).toBe(0);
      // A table in the way makes migration 2 fail: it must roll back whole, leaving version 1.
      migrate(t.db, t.file, 1);
      t.db.exec('CREATE TABLE payment_totals (x)');
      expect(() => migrate(t.db, t.file)).toThrow(/already exists/);
      expect(t.db.pragma('user_version', { simple: true })).toBe(1);
      expect(t.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'payments'").pluck().get()).toBe(
        0,
      );
      t.db.exec('DROP TABLE payment_totals');
      expect(migrate(t.db, t.file)).toBe(LATEST_VERSION);
    } finally {
      t.cleanup();
    }
  });

  it('refuse a journal newer than this build', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    expect(() => migrate(db, 'journal.sqlite')).toThrow(JournalError);
    expect(() => migrate(db, 'journal.sqlite')).toThrow(/newer than this Suanpan knows/);
    db.close();
  });
});
