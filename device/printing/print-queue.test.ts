import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PrintDocument } from '../../drivers/printer/document.ts';
import { PRINT_QUEUE_FILE, PrintQueue } from './print-queue.ts';

const doc = (text: string): PrintDocument => ({ cut: true, blocks: [{ kind: 'text', text }] });

describe('print queue', () => {
  let dir: string;
  let now = Date.parse('2026-11-25T08:00:00Z');
  let queue: PrintQueue;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pq-'));
    queue = PrintQueue.open(dir, { now: () => new Date(now) });
  });
  afterEach(() => {
    queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one receipt per payment; a reprint is a new job only when asked', () => {
    const a = queue.enqueue({ kind: 'receipt', paymentId: 'p1', document: doc('one') });
    expect(queue.enqueue({ kind: 'receipt', paymentId: 'p1', document: doc('again') })).toEqual(a);
    expect(() =>
      new Database(path.join(dir, PRINT_QUEUE_FILE))
        .prepare(
          "INSERT INTO print_jobs (kind, payment_id, document, state, created_at, updated_at) VALUES ('receipt', 'p1', '{}', 'queued', 'x', 'x')",
        )
        .run(),
    ).toThrow(/UNIQUE/);
    expect(queue.markPrinted(a.id)).toBe(true);
    expect(queue.markPrinted(a.id)).toBe(false);
    const again = queue.enqueue({ kind: 'reprint', paymentId: 'p1', document: doc('copy'), reprintOf: a.id });
    expect(again.id).not.toBe(a.id);
    expect(queue.pending().map((j) => j.id)).toEqual([again.id]);
    now += 1000;
    queue.markPrinted(again.id);
    expect(queue.lastPrintedReceipt()).toMatchObject({ id: again.id, reprintOf: a.id });
  });

  it('a failed attempt keeps the job queued with its reason; jobs come out in order', () => {
    const a = queue.enqueue({ kind: 'receipt', paymentId: 'p1', document: doc('one') });
    const b = queue.enqueue({ kind: 'shift', document: doc('shift') });
    queue.markFailed(a.id, { code: 'PAPER_OUT', message: 'paper out' });
    expect(queue.pending()).toEqual([
      expect.objectContaining({
        id: a.id,
        attempts: 1,
        lastError: { code: 'PAPER_OUT', message: 'paper out' },
      }),
      expect.objectContaining({ id: b.id, attempts: 0 }),
    ]);
    expect(queue.pending()[0]?.id).toBe(a.id);
    // Part of the job reached the printer once: the next attempt knows, whatever happens after.
    expect(queue.get(b.id)?.partial).toBe(false);
    queue.markFailed(b.id, { code: 'OFFLINE', message: 'unplugged' }, { partial: true });
    queue.markFailed(b.id, { code: 'OFFLINE', message: 'still unplugged' }, { partial: false });
    expect(queue.get(b.id)).toMatchObject({ partial: true, attempts: 2 });
  });

  it('a job held by one process is not taken by another until its lease runs out', () => {
    const a = queue.enqueue({ kind: 'test', document: doc('t') });
    expect(queue.claim(a.id, 'one', 60_000)).toBe(true);
    expect(queue.claim(a.id, 'two', 60_000)).toBe(false);
    expect(queue.claim(a.id, 'one', 60_000)).toBe(true);
    now += 61_000; // process one crashed while printing
    expect(queue.claim(a.id, 'two', 60_000)).toBe(true);
    queue.markPrinted(a.id);
    expect(queue.claim(a.id, 'one', 60_000)).toBe(false);
  });

  it('survives a restart with every job, and refuses a queue written by a newer version', () => {
    queue.enqueue({ kind: 'receipt', paymentId: 'p1', document: doc('收款小票') });
    queue.close();
    queue = PrintQueue.open(dir);
    expect(queue.pending()).toEqual([
      expect.objectContaining({ paymentId: 'p1', document: doc('收款小票') }),
    ]);
    queue.close();
    const db = new Database(path.join(dir, PRINT_QUEUE_FILE));
    db.pragma('user_version = 99');
    db.close();
    expect(() => PrintQueue.open(dir)).toThrow(/newer Suanpan/);
    queue = PrintQueue.open(fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pq-')));
  });
});
