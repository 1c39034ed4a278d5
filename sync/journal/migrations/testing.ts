/** Helpers for the migration tests: a real database file in a temp folder, migrated to a version. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './index.ts';

export function databaseAt(version: number): { db: Database.Database; file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-migration-'));
  const file = path.join(dir, 'journal.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db, file, version);
  return {
    db,
    file,
    cleanup: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function plan(db: Database.Database, sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
    .map((r) => r.detail)
    .join('; ');
}

export function insertEntry(
  db: Database.Database,
  seq: number,
  kind: string,
  paymentId: string | null,
): void {
  db.prepare(
    "INSERT INTO entries (entry_seq, kind, payment_id, at, body, prev_hash, hash, sig, mac) VALUES (?, ?, ?, '2026-11-25T00:00:00.000Z', '{}', zeroblob(32), zeroblob(32), NULL, zeroblob(32))",
  ).run(seq, kind, paymentId);
}

export function insertPayment(
  db: Database.Database,
  p: { seq: number; status?: string; amount?: number; currency?: string; codeHash?: string },
): void {
  db.prepare(
    `INSERT INTO payments (seq, payment_id, amount_minor, currency, scheme, code_hash, code_masked, mode, status, reason,
      captured_at, updated_at, last_entry_seq)
     VALUES (?, ?, ?, ?, 'alipay', ?, '28**', 'offline', ?, NULL, '2026-11-25T00:00:00.000Z', '2026-11-25T00:00:00.000Z', 1)`,
  ).run(
    p.seq,
    `pay-${p.seq}`,
    p.amount ?? 1250,
    p.currency ?? 'CNY',
    Buffer.from(p.codeHash ?? `code-${p.seq}`),
    p.status ?? 'accepted_offline',
  );
}
