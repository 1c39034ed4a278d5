import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openMarkFile } from '../holders.ts';
import { LATEST_VERSION, migrate } from './index.ts';
import { databaseAt } from './testing.ts';

describe('migration 0009: the payment code in its row', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('moves each kept code into its payment, erased ones stay erased, and drops the vault', () => {
    const t = databaseAt(8);
    cleanup = t.cleanup;
    t.db.pragma('secure_delete = ON');
    const insert = t.db.prepare(
      `INSERT INTO payments (payment_id, seq, amount_minor, currency, scheme, code_hash, code_masked, mode,
         status, reason, captured_at, updated_at, last_entry_seq)
       VALUES (?, ?, 1250, 'CNY', 'alipay', ?, '28****56', 'offline', ?, NULL,
         '2026-11-25T09:30:00.000Z', '2026-11-25T09:30:00.000Z', ?)`,
    );
    insert.run('p1', 1, Buffer.from([1]), 'settled', 1);
    insert.run('p2', 2, Buffer.from([2]), 'accepted_offline', 2);
    t.db.prepare("INSERT INTO payment_code_vault (seq, code) VALUES (2, '281234567890123456')").run();
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.readFileSync(t.file).includes('281234567890123456')).toBe(true); // in the vault's page
    expect(migrate(t.db, t.file, 9)).toBe(9);
    expect(t.db.prepare('SELECT seq, status, code FROM payments ORDER BY seq').all()).toEqual([
      { seq: 1, status: 'settled', code: null },
      { seq: 2, status: 'accepted_offline', code: '281234567890123456' },
    ]);
    expect(
      t.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'payment_code_vault'").pluck().get(),
    ).toBe(0);
    // A text column of a STRICT table.
    expect(() => t.db.prepare("UPDATE payments SET code = x'01'").run()).toThrow(/cannot store BLOB/);
    // The dropped table's page is zeroed: the code is nowhere in the file but in its row.
    t.db.prepare('UPDATE payments SET code = NULL').run();
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.readFileSync(t.file).includes('281234567890123456')).toBe(false);
  });

  it('is not applied while an older Suanpan has the journal open; a process of this build is no bar', async () => {
    const t = databaseAt(8);
    cleanup = t.cleanup;
    // A process holding the file as a running kiosk does: open, idle. With `mark`, it also holds
    // this build's open mark, as every process of this build does (Journal.open).
    const holding = async (mark: boolean) => {
      const child = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('node:fs'); const D = require('better-sqlite3');
           const db = new D(${JSON.stringify(t.file)}); db.prepare('SELECT 1 FROM payments').all();
           if (${mark}) fs.openSync(${JSON.stringify(openMarkFile(t.file, LATEST_VERSION))}, 'a');
           console.log('open'); setInterval(() => {}, 1000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await once(child.stdout as NodeJS.ReadableStream, 'data');
      return {
        pid: child.pid as number,
        stop: async () => {
          child.kill('SIGKILL');
          await once(child, 'exit');
        },
      };
    };
    const older = await holding(false);
    try {
      let refused: unknown;
      try {
        migrate(t.db, t.file, 9);
      } catch (err) {
        refused = err;
      }
      expect(refused).toMatchObject({ code: 'UPGRADE_BLOCKED', file: t.file });
      expect((refused as Error).message).toContain(`schema 8 to 9), but process ${older.pid} (`);
      expect((refused as Error).message).toContain(
        "has it open without this version's mark: an older Suanpan",
      );
      expect((refused as Error).message).toContain('nothing has been changed');
      expect(t.db.pragma('user_version', { simple: true })).toBe(8);
    } finally {
      await older.stop();
    }
    const same = await holding(true);
    try {
      expect(migrate(t.db, t.file, 9)).toBe(9);
    } finally {
      await same.stop();
    }
  });

  it('skips a step another process applied since this one read the version', () => {
    const t = databaseAt(8);
    cleanup = t.cleanup;
    const other = new Database(t.file);
    try {
      // This connection read version 8; another applies 9 before this one takes the write lock.
      const read = t.db.pragma;
      let first = true;
      t.db.pragma = ((source: string, options?: { simple?: boolean }) => {
        if (first && source === 'user_version') {
          first = false;
          const at = read.call(t.db, source, options);
          migrate(other, t.file, 9);
          return at;
        }
        return read.call(t.db, source, options);
      }) as typeof t.db.pragma;
      expect(migrate(t.db, t.file, 9)).toBe(9);
    } finally {
      other.close();
    }
  });
});
