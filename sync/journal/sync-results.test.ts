/**
 * A sync's results recorded as one `sync_results` entry per batch (migration 0011): what it moves,
 * what it refuses, and how journal verify, a shift close and the export read it.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect } from 'vitest';
import { entryHash, macInput, SYNC_RESULTS, type SyncResultsBody } from './entry.ts';
import { exportEntries } from './export.ts';
import { openJournal, payment, recomputeFrom, test } from './fixtures.ts';
import type { Journal, PaymentRecord } from './journal.ts';
import { verifyJournal } from './verify.ts';

const accept = () => ({ status: 'accepted_offline' as const, mode: 'offline' as const });

function stored(journal: Journal, count: number, amount = '12.50'): PaymentRecord[] {
  return Array.from({ length: count }, () => journal.capture(payment({ amount }), accept));
}

/** The journal's file opened beside it, as a tamperer (or a test) reads it. */
function raw(tmpDir: string): Database.Database {
  return new Database(path.join(tmpDir, 'journal.sqlite'));
}

describe('sync results in one entry per batch', () => {
  test('moves each payment stored offline, in one signed entry that names them all', async ({
    journal,
    signer,
    tmpDir,
  }) => {
    const [a, b, c] = stored(journal, 3);
    if (!a || !b || !c) throw new Error('three payments');
    const head = journal.head().entrySeq;
    const moved = journal.recordResults([
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync', reason: 'insufficient balance' },
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
    ]);
    expect(moved).toEqual([
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync' },
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
    ]);
    expect(journal.head().entrySeq).toBe(head + 1);
    const entry = [...journal.entries()].at(-1);
    expect(entry).toMatchObject({ entrySeq: head + 1, kind: SYNC_RESULTS, paymentId: null });
    expect(entry?.sig).not.toBeNull();
    expect(JSON.parse(entry?.body as string)).toEqual({
      results: [
        { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync', reason: 'insufficient balance' },
        { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      ],
    });
    expect(journal.payment(a.paymentId)).toMatchObject({ status: 'settled', reason: null });
    expect(journal.payment(b.paymentId)).toMatchObject({
      status: 'declined_after_sync',
      reason: 'insufficient balance',
    });
    // The codes of both are erased; the third payment's is kept, and it is still pending.
    expect(journal.paymentCode(a.paymentId)).toBeUndefined();
    expect(journal.paymentCode(b.paymentId)).toBeUndefined();
    expect(journal.paymentCode(c.paymentId)).toBeDefined();
    expect(journal.offlineStats()).toMatchObject({ pending: 1, totals: { CNY: 1250 } });
    const db = raw(tmpDir);
    expect(
      db.prepare('SELECT last_entry_seq FROM payments WHERE seq IN (?, ?)').pluck().all(a.seq, b.seq),
    ).toEqual([head + 1, head + 1]);
    db.close();
    expect(await journal.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
      entries: head + 1,
    });
  });

  test('leaves alone what another sync recorded, and appends nothing when nothing moves', ({ journal }) => {
    const [a, b] = stored(journal, 2);
    if (!a || !b) throw new Error('two payments');
    journal.recordResults([{ paymentId: a.paymentId, seq: a.seq, status: 'settled' }]);
    const head = journal.head().entrySeq;
    // a is settled already, and b is named twice: each moves once, and the entry names b once.
    const moved = journal.recordResults([
      { paymentId: a.paymentId, seq: a.seq, status: 'declined_after_sync' },
      { paymentId: b.paymentId, seq: b.seq, status: 'settled' },
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync' },
    ]);
    expect(moved).toEqual([{ paymentId: b.paymentId, seq: b.seq, status: 'settled' }]);
    expect(journal.head().entrySeq).toBe(head + 1);
    const body = JSON.parse([...journal.entries()].at(-1)?.body as string) as SyncResultsBody;
    expect(body.results.map((r) => r.paymentId)).toEqual([b.paymentId]);
    expect(journal.payment(a.paymentId)?.status).toBe('settled');
    expect(journal.recordResults([{ paymentId: b.paymentId, seq: b.seq, status: 'settled' }])).toEqual([]);
    expect(journal.head().entrySeq).toBe(head + 1);
  });

  test('refuses a payment not at the seq named, and records none of the batch', ({ journal }) => {
    const [a, b] = stored(journal, 2);
    if (!a || !b) throw new Error('two payments');
    const head = journal.head().entrySeq;
    for (const wrong of [
      { paymentId: b.paymentId, seq: a.seq },
      { paymentId: crypto.randomUUID(), seq: b.seq },
      { paymentId: b.paymentId, seq: b.seq + 10 },
    ]) {
      expect(() =>
        journal.recordResults([
          { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
          { ...wrong, status: 'settled' },
        ]),
      ).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining(`seq ${wrong.seq}`) }),
      );
    }
    expect(journal.head().entrySeq).toBe(head);
    expect(journal.payment(a.paymentId)?.status).toBe('accepted_offline');
  });

  test("journal verify holds each payment to the latest entry naming it, its own or a batch's", async ({
    journal,
    signer,
    tmpDir,
  }) => {
    const [a, b, c] = stored(journal, 3);
    if (!a || !b || !c) throw new Error('three payments');
    journal.recordResults([
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      { paymentId: b.paymentId, seq: b.seq, status: 'settled' },
    ]);
    const results = journal.head().entrySeq;
    // Refunded after it settled: its own entry is the later one now.
    journal.transition(a.paymentId, { status: 'refunded' });
    const verify = () => journal.verify({ publicKey: signer.publicKey, mac: signer.mac });
    expect(await verify()).toMatchObject({ ok: true });

    const db = raw(tmpDir);
    // The payments table alone changed: b put back as stored (its code is gone; the total trigger
    // keeps the totals): the entry naming it says otherwise.
    db.prepare("UPDATE payments SET status = 'accepted_offline' WHERE seq = ?").run(b.seq);
    expect(await verify()).toMatchObject({
      ok: false,
      firstBadSeq: results,
      reason: expect.stringMatching(new RegExp(`payment ${b.paymentId}: its status differs`)),
    });
    db.prepare("UPDATE payments SET status = 'settled' WHERE seq = ?").run(b.seq);
    expect(await verify()).toMatchObject({ ok: true });
    // Its latest entry pointed elsewhere: at its capture.
    const captured = db
      .prepare('SELECT last_entry_seq FROM payments WHERE seq = ?')
      .pluck()
      .get(c.seq) as number;
    db.prepare('UPDATE payments SET last_entry_seq = ? WHERE seq = ?').run(captured, b.seq);
    expect(await verify()).toMatchObject({
      ok: false,
      reason: expect.stringContaining('its latest entry differs'),
    });
    db.close();
  });

  test('journal verify finds a batch entry, rewritten with the key, that names a payment wrongly', async ({
    journal,
    signer,
    tmpDir,
  }) => {
    // Only a writer with the key can make a chain like this (a bug, not a tamperer): the payments'
    // check still holds the table and the entry to each other.
    const [a] = stored(journal, 1);
    if (!a) throw new Error('one payment');
    journal.recordResults([{ paymentId: a.paymentId, seq: a.seq, status: 'settled' }]);
    const seq = journal.head().entrySeq;
    journal.close();
    const db = raw(tmpDir);
    db.exec('DROP TRIGGER entries_no_update');
    const rewrite = (results: unknown[]) => {
      const row = db.prepare('SELECT at, prev_hash FROM entries WHERE entry_seq = ?').get(seq) as {
        at: string;
        prev_hash: Buffer;
      };
      const body = JSON.stringify({ results });
      const hash = entryHash(row.prev_hash, seq, SYNC_RESULTS, null, row.at, body);
      db.prepare('UPDATE entries SET body = ?, hash = ?, sig = ?, mac = ? WHERE entry_seq = ?').run(
        body,
        hash,
        signer.sign(hash),
        signer.mac(macInput(hash, { starts: true, ends: true })),
        seq,
      );
    };
    const verify = async () => {
      const j = openJournal(tmpDir, signer);
      try {
        return await j.verify({ publicKey: signer.publicKey, mac: signer.mac });
      } finally {
        j.close();
      }
    };
    rewrite([{ paymentId: a.paymentId, seq: a.seq + 1, status: 'settled' }]);
    expect(await verify()).toMatchObject({
      ok: false,
      firstBadSeq: seq,
      reason: expect.stringContaining('its sync result names it at another seq'),
    });
    rewrite([{ paymentId: crypto.randomUUID(), seq: a.seq, status: 'settled' }]);
    expect(await verify()).toMatchObject({
      ok: false,
      reason: expect.stringContaining('its latest entry differs'),
    });
    rewrite([
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      { paymentId: '0190aaaa-0000-7000-8000-000000000000', seq: 99, status: 'settled' },
    ]);
    expect(await verify()).toMatchObject({
      ok: false,
      firstBadSeq: seq,
      reason: expect.stringContaining(
        'records a sync result for payment 0190aaaa-0000-7000-8000-000000000000, which is missing',
      ),
    });
    rewrite([{ paymentId: a.paymentId, seq: a.seq, status: 'settled' }]);
    expect(await verify()).toMatchObject({ ok: true });
    db.close();
  });

  test("a shift close counts a batch's results for payments of earlier shifts", ({ journal }) => {
    const [a, b] = stored(journal, 2, '20.00');
    if (!a || !b) throw new Error('two payments');
    expect(journal.closeShift()).toMatchObject({ shiftNo: 1, payments: 2, earlier: {} });
    // Shift 2: one new payment, settled in the same batch as the earlier two.
    const [c] = stored(journal, 1, '5.00');
    if (!c) throw new Error('one payment');
    journal.recordResults([
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync', reason: 'code expired' },
      { paymentId: c.paymentId, seq: c.seq, status: 'settled' },
    ]);
    expect(journal.closeShift()).toMatchObject({
      shiftNo: 2,
      payments: 1,
      byStatus: { settled: { count: 1, totals: { CNY: 500 } } },
      earlier: {
        settled: { count: 1, totals: { CNY: 2000 } },
        declined_after_sync: { count: 1, totals: { CNY: 2000 } },
      },
    });
  });

  test('the CSV export gives each result of a batch entry its own row', ({ journal }) => {
    const [a, b] = stored(journal, 2);
    if (!a || !b) throw new Error('two payments');
    journal.recordResults([
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync', reason: 'code reused' },
    ]);
    const entry = [...journal.entries()].at(-1);
    if (!entry) throw new Error('an entry');
    const [header, ...rows] = [...exportEntries([entry], 'csv')].map((line) => line.trimEnd().split(','));
    const column = (row: string[] | undefined, name: string) => row?.[header?.indexOf(name) ?? -1];
    expect(rows).toHaveLength(2);
    for (const [i, p, status, reason] of [
      [0, a, 'settled', ''],
      [1, b, 'declined_after_sync', 'code reused'],
    ] as const) {
      expect(column(rows[i], 'entry_seq')).toBe(String(entry.entrySeq));
      expect(column(rows[i], 'kind')).toBe(SYNC_RESULTS);
      expect(column(rows[i], 'status')).toBe(status);
      expect(column(rows[i], 'payment_id')).toBe(p.paymentId);
      expect(column(rows[i], 'seq')).toBe(String(p.seq));
      expect(column(rows[i], 'reason')).toBe(reason);
      expect(column(rows[i], 'hash')).toBe(entry.hash.toString('hex'));
    }
    // JSON lines: the entry as it is, one line.
    expect([...exportEntries([entry], 'jsonl')]).toHaveLength(1);
  });

  test('journal verify reads the batch entries and the payments in one snapshot, whatever another process records', async ({
    journal,
    signer,
    tmpDir,
  }) => {
    const [a, b] = stored(journal, 2);
    if (!a || !b) throw new Error('two payments');
    journal.recordResults([{ paymentId: a.paymentId, seq: a.seq, status: 'settled' }]);
    // `journal verify` in another process: between its read of the batch entries and its read of the
    // payments, the kiosk's sync records b's result.
    const db = raw(tmpDir);
    const prepare = db.prepare.bind(db);
    let recorded = false;
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (!sql.includes('INSERT OR REPLACE INTO temp.verify_result_marks')) return statement;
      const run = statement.run.bind(statement);
      return Object.assign(statement, {
        run: (...args: unknown[]) => {
          const done = run(...args);
          journal.recordResults([{ paymentId: b.paymentId, seq: b.seq, status: 'settled' }]);
          recorded = true;
          return done;
        },
      });
    }) as typeof db.prepare;
    expect(await verifyJournal(db, { publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
    });
    expect(recorded).toBe(true);
    db.close();
    expect(await journal.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
    });
  });

  test('a batch result changed without the key (declined made settled, in the entry and the table) is found', async ({
    journal,
    signer,
    tmpDir,
  }) => {
    const [a, b] = stored(journal, 2);
    if (!a || !b) throw new Error('two payments');
    journal.recordResults([
      { paymentId: a.paymentId, seq: a.seq, status: 'settled' },
      { paymentId: b.paymentId, seq: b.seq, status: 'declined_after_sync', reason: 'insufficient balance' },
    ]);
    const seq = journal.head().entrySeq;
    journal.close();
    const db = raw(tmpDir);
    db.exec('DROP TRIGGER entries_no_update');
    const row = db.prepare('SELECT body FROM entries WHERE entry_seq = ?').get(seq) as { body: string };
    const body = row.body.replace(
      '"status":"declined_after_sync","reason":"insufficient balance"',
      '"status":"settled"',
    );
    expect(body).not.toBe(row.body);
    db.prepare('UPDATE entries SET body = ? WHERE entry_seq = ?').run(body, seq);
    db.prepare("UPDATE payments SET status = 'settled', reason = NULL WHERE seq = ?").run(b.seq);
    // The hash recomputed too, as a tamperer would: the signature and the MAC are not theirs to make.
    recomputeFrom(db, seq);
    db.close();
    const again = openJournal(tmpDir, signer);
    try {
      expect(await again.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
        ok: false,
        firstBadSeq: seq,
      });
    } finally {
      again.close();
    }
  });
});
