import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect } from 'vitest';
import { JournalError } from './errors.ts';
import { damageRootPage, makeSigner, openJournal, payment, test } from './fixtures.ts';
import { CHECKPOINT_AFTER_COMMITS, Journal, setDurable, uuidv7 } from './journal.ts';
import { sqliteProblems } from './verify.ts';

const accept = () => ({ status: 'accepted_offline' as const, mode: 'offline' as const });

/**
 * Damages the page of the parked payments (a table that opening, capturing and the chain walk never
 * read; park one first) of a closed journal: its cell pointers point past the page's end.
 */
const damageParkedPage = (file: string) => damageRootPage(file, 'sync_parked', 8, 16);

describe('journal', () => {
  test('runs with WAL and synchronous=FULL on every open', ({ journal, tmpDir }) => {
    expect(journal.durabilityProblem).toBeNull();
    // Look from a second connection: WAL is a property of the file.
    const db = new Database(path.join(tmpDir, 'journal.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  test("the journal's own connection runs with synchronous=FULL", ({ journal }) => {
    // synchronous is a property of each connection, not of the file (better-sqlite3's default in
    // WAL is NORMAL, which can lose the last commits on a power cut): read the journal's own.
    const own = (journal as unknown as { db: Database.Database }).db;
    expect(own.pragma('synchronous', { simple: true })).toBe(2);
    expect(own.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  test('a connection that does not take WAL or synchronous=FULL is reported, not trusted', ({ tmpDir }) => {
    const db = new Database(path.join(tmpDir, 'durable.sqlite'));
    expect(setDurable(db)).toBeNull();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
    // A connection that answers each pragma but keeps its own mode (a VFS or file system that
    // can't do WAL, a build that pins synchronous): what is read back decides.
    const stub = (mode: string, synchronous: number) =>
      ({
        pragma: (sql: string) =>
          sql.startsWith('journal_mode') ? mode : sql === 'synchronous' ? synchronous : undefined,
      }) as unknown as Database.Database;
    expect(setDurable(stub('delete', 2))).toBe('journal_mode is delete, not wal');
    expect(setDurable(stub('wal', 1))).toBe('synchronous is 1, not 2 (FULL)');
    expect(setDurable(stub('wal', 2))).toBeNull();
  });

  test('refuses payments with NOT_DURABLE when WAL cannot be had', ({ signer }) => {
    const journal = Journal.open({ file: ':memory:', terminalId: 'sp-test', signer });
    expect(journal.durabilityProblem).toMatch(/memory/);
    expect(() => journal.capture(payment(), accept)).toThrow(
      expect.objectContaining({ code: 'NOT_DURABLE' }),
    );
    expect(journal.payments()).toEqual([]);
    journal.close();
  });

  test('captures with a UUID and gap-free seq, in one transaction with the decision', async ({
    journal,
    signer,
  }) => {
    const a = journal.capture(payment({ amount: '12.50' }), accept);
    const b = journal.capture(payment({ amount: '3.00' }), () => ({
      status: 'declined',
      mode: 'offline',
      reason: 'over',
    }));
    const c = journal.capture(payment());
    expect(a.paymentId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a).toMatchObject({
      status: 'accepted_offline',
      mode: 'offline',
      amount: { minor: 1250, currency: 'CNY' },
    });
    expect(b).toMatchObject({ status: 'declined', reason: 'over' });
    expect(c).toMatchObject({ status: 'captured', mode: null });
    // Decided at capture: one entry carrying its state; waiting for the core: captured alone.
    expect(
      [...journal.entries()].map((e) => [e.kind, JSON.parse(e.body).status, JSON.parse(e.body).reason]),
    ).toEqual([
      ['captured', 'accepted_offline', undefined],
      ['captured', 'declined', 'over'],
      ['captured', undefined, undefined],
    ]);
    journal.transition(c.paymentId, { status: 'approved', mode: 'online' });
    expect([...journal.entries()].at(-1)).toMatchObject({ kind: 'approved', paymentId: c.paymentId });
    expect(await journal.verify({ publicKey: signer.publicKey })).toEqual({
      ok: true,
      entries: 4,
      head: journal.head().hash.toString('hex'),
    });
  });

  test('parked payments are put back in line by unpark, which says how many', ({ journal }) => {
    for (let i = 0; i < 3; i++) journal.capture(payment(), accept);
    journal.park(1, 'a field the core refused');
    journal.park(3, 'conflict at the core');
    expect(journal.syncInfo().parked.map((p) => p.seq)).toEqual([1, 3]);
    expect(journal.unpark()).toBe(2);
    expect(journal.syncInfo().parked).toEqual([]);
    expect(journal.unpark()).toBe(0);
  });

  test('payment ids are UUIDv7: the capture time in their first 48 bits, random after', () => {
    const ids = [uuidv7(0x0123456789ab), uuidv7(0x0123456789ab)];
    for (const id of ids) expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('a failed decision rolls back the capture: no seq is used up', ({ journal }) => {
    expect(() =>
      journal.capture(payment(), () => {
        throw new Error('policy exploded');
      }),
    ).toThrow('policy exploded');
    expect(journal.capture(payment(), accept).seq).toBe(1);
    expect(journal.head().entrySeq).toBe(1);
  });

  test('refuses a payment code already used on this terminal, even after a decline', ({ journal }) => {
    const input = payment();
    const declined = journal.capture(input, () => ({ status: 'declined', mode: 'offline', reason: 'over' }));
    expect(() => journal.capture({ ...input, amount: { minor: 1, currency: 'CNY' } }, accept)).toThrow(
      expect.objectContaining({
        code: 'CODE_USED',
        message: expect.stringContaining(`by payment ${declined.seq} (declined)`),
      }),
    );
    expect(journal.payments()).toHaveLength(1);
  });

  test('moves payments only along allowed transitions', ({ journal }) => {
    const p = journal.capture(payment(), accept);
    expect(() => journal.transition(p.paymentId, { status: 'approved' })).toThrow(
      expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }),
    );
    expect(journal.transition(p.paymentId, { status: 'settled' }).status).toBe('settled');
    expect(journal.transition(p.paymentId, { status: 'refunded', reason: 'returned goods' }).status).toBe(
      'refunded',
    );
    expect(() => journal.transition(p.paymentId, { status: 'voided' })).toThrow(
      /refunded; it cannot become voided/,
    );
    expect(() => journal.transition('nope', { status: 'settled' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  test('keeps the raw code apart, only until the core has the payment', async ({
    journal,
    tmpDir,
    signer,
  }) => {
    const offline = journal.capture(payment({ code: '281111111111111111' }), accept);
    const declined = journal.capture(payment({ code: '282222222222222222' }), () => ({ status: 'declined' }));
    const online = journal.capture(payment({ code: '283333333333333333' }));
    expect(journal.paymentCode(offline.paymentId)).toBe('281111111111111111');
    expect(journal.paymentCode(declined.paymentId)).toBeUndefined();
    expect(journal.paymentCode(online.paymentId)).toBe('283333333333333333');
    journal.transition(online.paymentId, { status: 'approved', mode: 'online' });
    journal.transition(offline.paymentId, { status: 'settled' });
    expect(journal.paymentCode(online.paymentId)).toBeUndefined();
    expect(journal.paymentCode(offline.paymentId)).toBeUndefined();
    // No entry, and no page of the file once checkpointed, holds a raw code.
    journal.checkpoint();
    const bytes = fs.readFileSync(path.join(tmpDir, 'journal.sqlite')).toString('latin1');
    for (const code of ['281111111111111111', '282222222222222222', '283333333333333333']) {
      expect(bytes).not.toContain(code);
      for (const e of journal.entries()) expect(e.body).not.toContain(code);
    }
    expect((await journal.verify({ publicKey: signer.publicKey })).ok).toBe(true);
  });

  test('a checkpoint starts the WAL over itself, so the next payment writes no WAL header', async ({
    journal,
    tmpDir,
    signer,
  }) => {
    // The WAL header's salts (bytes 16-23) change each time SQLite starts the WAL over
    // (https://sqlite.org/fileformat2.html#walformat); that start writes the header and fsyncs it.
    const salts = () => fs.readFileSync(path.join(tmpDir, 'journal.sqlite-wal')).subarray(16, 24);
    for (let i = 0; i < 5; i++) journal.capture(payment(), accept);
    const version = journal.schemaVersion;
    const before = salts();
    journal.checkpoint();
    const restarted = salts();
    expect(restarted.equals(before)).toBe(false);
    journal.capture(payment(), accept);
    expect(salts().equals(restarted)).toBe(true);
    expect(journal.schemaVersion).toBe(version);
    expect((await journal.verify({ publicKey: signer.publicKey, mac: signer.mac })).ok).toBe(true);
  });

  test('a checkpoint while another process holds the write lock leaves the WAL restart to it', ({
    journal,
    tmpDir,
  }) => {
    journal.capture(payment(), accept);
    const other = new Database(path.join(tmpDir, 'journal.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    expect(() => journal.checkpoint()).not.toThrow();
    other.exec('ROLLBACK');
    other.close();
    expect(journal.capture(payment(), accept).seq).toBe(2);
  });

  test('checkpoints between payments keep the WAL bounded', async ({ journal, tmpDir }) => {
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const walPages = () => (fs.statSync(path.join(tmpDir, 'journal.sqlite-wal')).size - 32) / (24 + 4096);
    let largest = 0;
    for (let i = 0; i < 4 * CHECKPOINT_AFTER_COMMITS; i++) {
      journal.capture(payment(), accept);
      await nextTurn();
      largest = Math.max(largest, walPages());
    }
    // A payment writes about 10 pages; the WAL is overwritten from its start after each checkpoint.
    expect(largest).toBeLessThan(20 * CHECKPOINT_AFTER_COMMITS);
    expect(journal.payments({ limit: 1 })[0]?.seq).toBe(4 * CHECKPOINT_AFTER_COMMITS);
  });

  test('refuses to rewrite history even through SQL', ({ journal, tmpDir }) => {
    journal.capture(payment(), accept);
    const db = new Database(path.join(tmpDir, 'journal.sqlite'));
    expect(() => db.prepare('UPDATE entries SET body = ?').run('{}')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
    db.close();
  });

  test("verify reads a capture's own decision as its state: the table saying otherwise is caught", async ({
    journal,
    tmpDir,
    signer,
  }) => {
    journal.capture(payment(), accept);
    const stored = journal.capture(payment(), accept);
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true, entries: 2 });
    const db = new Database(path.join(tmpDir, 'journal.sqlite'));
    db.prepare("UPDATE payments SET status = 'settled' WHERE payment_id = ?").run(stored.paymentId);
    db.close();
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: expect.stringContaining('status differs'),
    });
  });

  test('records the clock offset known at capture in the captured entry, and sends it with the payment', async ({
    journal,
    tmpDir,
    signer,
  }) => {
    const known = journal.capture({ ...payment(), clockOffsetMs: -600_000 }, accept);
    const unknown = journal.capture(payment(), accept);
    expect(() => journal.capture({ ...payment(), clockOffsetMs: 1.5 }, accept)).toThrow(/whole number/);
    const captured = [...journal.entries()].filter((e) => e.kind === 'captured');
    expect(JSON.parse(captured[0]?.body as string).clockOffsetMs).toBe(-600_000);
    expect(captured[1]?.body).not.toContain('clockOffsetMs');
    expect(journal.uploadCandidates(0, 10).map((p) => [p.paymentId, p.clockOffsetMs])).toEqual([
      [known.paymentId, -600_000],
      [unknown.paymentId, null],
    ]);
    expect((await journal.verify({ publicKey: signer.publicKey })).ok).toBe(true);
    // The offset decides whether the core takes the code: the table changed is caught.
    const db = new Database(path.join(tmpDir, 'journal.sqlite'));
    db.prepare('UPDATE payments SET clock_offset_ms = 0 WHERE payment_id = ?').run(known.paymentId);
    db.close();
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      reason: expect.stringContaining('clock offset differs'),
    });
  });

  test('counts what is stored offline for the policy, per currency', ({ journal }) => {
    journal.capture(payment({ amount: '10.00' }), accept);
    journal.capture(payment({ amount: '2.50' }), accept);
    const settled = journal.capture(payment({ amount: '99.00' }), accept);
    journal.transition(settled.paymentId, { status: 'settled' });
    journal.capture(payment({ amount: '7.00' }));
    expect(journal.offlineStats()).toMatchObject({
      pending: 2,
      totals: { CNY: 1250 },
      inDoubt: 1,
      lastSyncAt: null,
    });
    const first = journal.payments({ status: 'accepted_offline', limit: 2 }).at(-1);
    expect(journal.offlineStats().oldestCapturedAt).toBe(first?.capturedAt);
    const hkd = journal.capture({ ...payment(), amount: { minor: 500, currency: 'HKD' } }, accept);
    const stats = journal.offlineStats();
    expect(stats).toMatchObject({ pending: 3, totals: { CNY: 1250, HKD: 500 }, inDoubt: 1 });
    journal.transition(hkd.paymentId, { status: 'declined_after_sync' });
    let seen: unknown;
    journal.capture(payment(), (s) => {
      seen = s;
      return accept();
    });
    expect(seen).toMatchObject({ pending: 2, totals: { CNY: 1250 } });
    journal.recordSync(new Date('2026-11-25T10:00:00Z'));
    expect(journal.offlineStats().lastSyncAt).toBe('2026-11-25T10:00:00.000Z');
    for (const p of journal.payments({ status: 'accepted_offline' })) {
      journal.transition(p.paymentId, { status: 'settled' });
    }
    expect(journal.offlineStats()).toMatchObject({ pending: 0, totals: {}, oldestCapturedAt: null });
  });

  test('records shift closes with counts and totals by status and scheme', ({ journal }) => {
    journal.capture(payment({ amount: '10.00' }), accept);
    journal.capture(payment({ amount: '5.00', scheme: 'wechat' }), accept);
    journal.capture(payment({ amount: '300.00' }), () => ({ status: 'declined' }));
    const first = journal.closeShift();
    expect(first).toMatchObject({
      shiftNo: 1,
      payments: 3,
      byStatus: {
        accepted_offline: { count: 2, totals: { CNY: 1500 } },
        declined: { count: 1, totals: { CNY: 30000 } },
      },
      // Taken money only: the declined 300.00 is no money the wallet owes.
      byScheme: { alipay: { count: 1, totals: { CNY: 1000 } }, wechat: { count: 1, totals: { CNY: 500 } } },
    });
    journal.capture(payment({ amount: '1.00' }), accept);
    const second = journal.closeShift();
    expect(second).toMatchObject({ shiftNo: 2, payments: 1, openedAt: first.closedAt, earlier: {} });
    expect([...journal.entries()].filter((e) => e.kind === 'shift_closed')).toHaveLength(2);
  });

  test("a shift's report lists the earlier shifts' payments that changed in it: refunds, voids, doubts resolved", ({
    journal,
  }) => {
    const sold = journal.capture(payment({ amount: '30.00' }), () => ({
      status: 'approved',
      mode: 'online',
    }));
    const doubt = journal.capture(payment({ amount: '6.66' }));
    journal.transition(doubt.paymentId, { status: 'unknown', mode: 'online' });
    expect(journal.closeShift()).toMatchObject({ shiftNo: 1, payments: 2, earlier: {} });
    // Shift 2: the first refunded out of this till, the second found approved; no new payment.
    journal.transition(sold.paymentId, { status: 'refunded' });
    journal.transition(doubt.paymentId, { status: 'approved', mode: 'online' });
    const second = journal.closeShift();
    expect(second).toMatchObject({
      shiftNo: 2,
      payments: 0,
      earlier: {
        refunded: { count: 1, totals: { CNY: 3000 } },
        approved: { count: 1, totals: { CNY: 666 } },
      },
    });
    // Recorded in the shift's entry, as the rest of its report.
    const entry = [...journal.entries()].filter((e) => e.kind === 'shift_closed').at(-1);
    expect(JSON.parse(entry?.body as string).earlier).toEqual(second.earlier);
    expect(journal.closeShift()).toMatchObject({ shiftNo: 3, earlier: {} });
  });

  test('two processes writing the same journal serialise: chain and seq stay whole', async ({
    tmpDir,
    signer,
  }) => {
    // Both writers use the same key, as two CLI processes of one terminal would.
    const writers = [openJournal(tmpDir, signer), openJournal(tmpDir, signer)];
    for (let i = 0; i < 50; i++) writers[i % 2]?.capture(payment(), accept);
    for (const w of writers) w.close();
    const journal = openJournal(tmpDir, signer);
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true, entries: 50 });
    expect(
      journal
        .payments({ limit: 100 })
        .map((p) => p.seq)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    journal.close();
  });

  test('a writer held up by another process fails with BUSY naming the file', ({ tmpDir, signer }) => {
    openJournal(tmpDir, signer).close();
    const file = path.join(tmpDir, 'journal.sqlite');
    // Another process takes the write lock and holds it for 3 s.
    const holder = `const D=require('better-sqlite3');const db=new D(${JSON.stringify(file)});db.exec('BEGIN IMMEDIATE');process.stdout.write('locked\\n');setTimeout(()=>{},3000)`;
    const child = spawn(process.execPath, ['-e', holder], { cwd: process.cwd() });
    return new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => {
        try {
          const journal = openJournal(tmpDir, signer, { busyTimeoutMs: 200 });
          let error: unknown;
          try {
            journal.capture(payment(), accept);
          } catch (err) {
            error = err;
          }
          journal.close();
          expect(error).toBeInstanceOf(JournalError);
          expect(error).toMatchObject({ code: 'BUSY', file });
          expect((error as Error).message).toContain('another process');
          child.kill();
          resolve();
        } catch (err) {
          child.kill();
          reject(err);
        }
      });
    });
  });

  test('records a batch of results in one transaction; a payment named twice moves on from its first change', async ({
    journal,
    signer,
  }) => {
    const a = journal.capture(payment(), accept);
    const b = journal.capture(payment(), accept);
    const head = journal.head().entrySeq;
    const twice = [
      { paymentId: a.paymentId, decision: { status: 'settled' as const } },
      { paymentId: b.paymentId, decision: { status: 'declined_after_sync' as const, reason: 'no funds' } },
      { paymentId: a.paymentId, decision: { status: 'refunded' as const } },
    ];
    expect(journal.transitionMany(twice).map((p) => [p.paymentId, p.status])).toEqual([
      [a.paymentId, 'settled'],
      [b.paymentId, 'declined_after_sync'],
      [a.paymentId, 'refunded'],
    ]);
    expect(journal.payment(a.paymentId)?.status).toBe('refunded');
    expect(journal.head().entrySeq).toBe(head + 3);
    // Only from the states named: both are past accepted_offline now, so nothing is recorded.
    expect(journal.transitionMany(twice.slice(0, 2), { onlyFrom: 'accepted_offline' })).toEqual([]);
    expect(() =>
      journal.transitionMany([{ paymentId: crypto.randomUUID(), decision: { status: 'settled' } }]),
    ).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({
      ok: true,
      entries: head + 3,
    });
  });

  test('refuses a journal written by another key, and one from a newer Suanpan', ({ tmpDir, signer }) => {
    openJournal(tmpDir, signer).close();
    expect(() => openJournal(tmpDir, makeSigner())).toThrow(expect.objectContaining({ code: 'WRONG_KEY' }));
    const db = new Database(path.join(tmpDir, 'journal.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => openJournal(tmpDir, signer)).toThrow(expect.objectContaining({ code: 'TOO_NEW' }));
  });

  test('a missing journal of a terminal that had one is MISSING, not a fresh start', ({ tmpDir, signer }) => {
    expect(() => openJournal(tmpDir, signer, { mustExist: true })).toThrow(
      expect.objectContaining({
        code: 'MISSING',
        message: expect.stringContaining('will not start a new journal'),
      }),
    );
    expect(fs.existsSync(path.join(tmpDir, 'journal.sqlite'))).toBe(false);
  });

  test('an emptied journal of a terminal that had one is MISSING, and stays as it is', ({
    tmpDir,
    signer,
  }) => {
    const journal = openJournal(tmpDir, signer);
    journal.capture(payment(), accept);
    journal.close();
    const file = path.join(tmpDir, 'journal.sqlite');
    fs.writeFileSync(file, '');
    expect(() => openJournal(tmpDir, signer, { mustExist: true })).toThrow(
      expect.objectContaining({ code: 'MISSING', file, message: expect.stringContaining('is empty') }),
    );
    expect(fs.statSync(file).size).toBe(0);
  });

  test('the journal and its -wal and -shm are readable by their owner only: they hold raw codes', ({
    tmpDir,
    signer,
  }) => {
    fs.chmodSync(tmpDir, 0o755);
    const file = path.join(tmpDir, 'journal.sqlite');
    const files = [file, `${file}-wal`, `${file}-shm`];
    const modes = () => files.map((f) => (fs.statSync(f).mode & 0o777).toString(8));
    let journal = openJournal(tmpDir, signer);
    journal.capture(payment(), accept);
    expect(modes()).toEqual(['600', '600', '600']);
    // Files an earlier version left readable by others are narrowed at the next open.
    for (const f of files) fs.chmodSync(f, 0o644);
    journal.close();
    fs.writeFileSync(`${file}-wal`, '');
    fs.writeFileSync(`${file}-shm`, '');
    for (const f of files) fs.chmodSync(f, 0o644);
    journal = openJournal(tmpDir, signer);
    expect(modes()).toEqual(['600', '600', '600']);
    journal.close();
    // A -wal and -shm left read-only (made while the journal was read-only) follow the journal,
    // writable again, rather than fail every write for a user who isn't root.
    fs.writeFileSync(`${file}-wal`, '');
    fs.writeFileSync(`${file}-shm`, '');
    fs.chmodSync(`${file}-wal`, 0o400);
    fs.chmodSync(`${file}-shm`, 0o400);
    journal = openJournal(tmpDir, signer);
    expect(modes()).toEqual(['600', '600', '600']);
    journal.close();
  });

  test('a file that is not a database is CORRUPT and is left untouched', ({ tmpDir, signer }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    fs.writeFileSync(file, 'this is not a database, it is a shopping list'.repeat(100));
    const before = fs.readFileSync(file);
    expect(() => openJournal(tmpDir, signer)).toThrow(
      expect.objectContaining({ code: 'CORRUPT', file, message: expect.stringContaining(file) }),
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test('a truncated journal is CORRUPT; nothing is written to it', async ({ tmpDir, signer }) => {
    const journal = openJournal(tmpDir, signer);
    for (let i = 0; i < 300; i++) journal.capture(payment(), accept);
    journal.close(); // checkpoints: everything is in the main file now
    const file = path.join(tmpDir, 'journal.sqlite');
    const size = fs.statSync(file).size;
    fs.truncateSync(file, Math.floor(size / 2));
    const before = fs.readFileSync(file);
    let error: unknown;
    try {
      const j = openJournal(tmpDir, signer);
      try {
        await j.verify({ publicKey: signer.publicKey });
        j.capture(payment(), accept);
      } finally {
        j.close();
      }
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CORRUPT', file });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test('a journal file new here (a copy, a restored backup) is checked whole before any payment: a damaged copy is CORRUPT', ({
    tmpDir,
    signer,
  }) => {
    const journal = openJournal(tmpDir, signer);
    for (let i = 0; i < 20; i++) journal.capture(payment(), accept);
    journal.park(1, 'set aside for this test');
    journal.close(); // checkpoints: every page is in the main file
    const file = path.join(tmpDir, 'journal.sqlite');
    expect(fs.readFileSync(`${file}.checked`, 'utf8').trim()).toMatch(/^\d+:\d+ 20 [0-9a-f]{64}$/);
    // An intact copy in another folder opens (and is recorded as checked there).
    const copyDir = fs.mkdtempSync(path.join(tmpDir, 'copy-'));
    fs.copyFileSync(file, path.join(copyDir, 'journal.sqlite'));
    fs.copyFileSync(`${file}.checked`, path.join(copyDir, 'journal.sqlite.checked')); // the original's mark
    openJournal(copyDir, signer).close();
    // A damaged copy: the parked payments' page, which opening and capturing never read before the
    // damage would show, points past its end.
    const damagedDir = fs.mkdtempSync(path.join(tmpDir, 'damaged-'));
    const damaged = path.join(damagedDir, 'journal.sqlite');
    fs.copyFileSync(file, damaged);
    damageParkedPage(damaged);
    const before = fs.readFileSync(damaged);
    let error: unknown;
    try {
      openJournal(damagedDir, signer);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ code: 'CORRUPT', file: damaged });
    expect((error as Error).message).toContain("is damaged (SQLite's check:");
    expect(fs.readFileSync(damaged).equals(before)).toBe(true); // left as it is
    expect(fs.existsSync(`${damaged}.checked`)).toBe(false);
    // The same damaged file put back in place of the journal (same file, its content copied over
    // it): the chain no longer holds the head recorded at close, so it is checked, and refused.
    const live = openJournal(copyDir, signer);
    live.capture(payment(), accept); // the live journal moves on: 21 entries at close
    live.close();
    fs.copyFileSync(damaged, path.join(copyDir, 'journal.sqlite'));
    expect(() => openJournal(copyDir, signer)).toThrow(/is damaged \(SQLite's check/);
  });

  test("a copy whose index page is older than its table's (files copied at two moments) is CORRUPT", ({
    tmpDir,
    signer,
  }) => {
    const journal = openJournal(tmpDir, signer);
    const ids = [1, 2, 3, 4, 5].map(() => journal.capture(payment(), accept).paymentId);
    journal.close();
    const file = path.join(tmpDir, 'journal.sqlite');
    const earlier = fs.readFileSync(file);
    const later = openJournal(tmpDir, signer);
    later.transitionMany(ids.map((paymentId) => ({ paymentId, decision: { status: 'settled' } })));
    later.close();
    // The status index's page from the earlier moment, every other page from the later one: each
    // b-tree is well formed and the index holds as many rows as the table (quick_check passes), but
    // it files the payments under the state they had before, so the stored ones would be found
    // still waiting to be sent.
    const db = new Database(file, { readonly: true });
    const { rootpage } = db
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'payments_by_status'")
      .get() as { rootpage: number };
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const tornDir = fs.mkdtempSync(path.join(tmpDir, 'torn-'));
    const torn = path.join(tornDir, 'journal.sqlite');
    const bytes = fs.readFileSync(file);
    earlier.copy(bytes, (rootpage - 1) * pageSize, (rootpage - 1) * pageSize, rootpage * pageSize);
    fs.writeFileSync(torn, bytes);
    const check = new Database(torn, { readonly: true });
    expect(check.pragma('quick_check', { simple: true })).toBe('ok');
    check.close();
    expect(() => openJournal(tornDir, signer)).toThrow(/is damaged \(SQLite's check: .*missing from index/);
  });

  test("SQLite's check stopped by a page too damaged to walk reports that as the damage", ({
    tmpDir,
    signer,
  }) => {
    const journal = openJournal(tmpDir, signer);
    journal.capture(payment(), accept);
    journal.close();
    const file = path.join(tmpDir, 'journal.sqlite');
    damageRootPage(file, 'sync_state', 0, 8);
    const damaged = new Database(file);
    try {
      expect(() => damaged.pragma('quick_check')).toThrow(/malformed/);
      expect(sqliteProblems(damaged, 'quick_check')).toEqual(['database disk image is malformed']);
      expect(sqliteProblems(damaged, 'integrity_check')).toEqual(['database disk image is malformed']);
    } finally {
      damaged.close();
    }
  });

  test('verify reports a damaged page outside the chain (the parked payments), which the chain walk never reads', async ({
    tmpDir,
    signer,
  }) => {
    let journal = openJournal(tmpDir, signer);
    for (let i = 0; i < 20; i++) journal.capture(payment(), accept);
    journal.park(1, 'set aside for this test');
    expect(await journal.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true });
    journal.close(); // checkpoints: every page is in the main file
    damageParkedPage(path.join(tmpDir, 'journal.sqlite'));
    journal = openJournal(tmpDir, signer);
    try {
      expect(await journal.verify({ publicKey: signer.publicKey })).toEqual({
        ok: false,
        firstBadSeq: 0,
        reason: expect.stringContaining('the journal file is damaged'),
        entries: 20,
      });
    } finally {
      journal.close();
    }
  });

  test('the journal file survives a process that never closes it (WAL is replayed)', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    openJournal(tmpDir, signer).close();
    const key = signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const script = `
      import crypto from 'node:crypto';
      import { Journal } from ${JSON.stringify(path.resolve('sync/journal/journal.ts'))};
      const key = crypto.createPrivateKey(${JSON.stringify(key)});
      const j = Journal.open({ file: ${JSON.stringify(file)}, terminalId: 'sp-test',
        signer: { publicKey: crypto.createPublicKey(key), sign: (h) => crypto.sign(null, h, key),
          mac: (h) => crypto.createHash('sha256').update(h).digest() } });
      const code = '289999999999999999';
      j.capture({ amount: { minor: 100, currency: 'CNY' }, scheme: 'alipay', code, codeHash: crypto.createHash('sha256').update(code).digest(), codeMasked: 'x' }, () => ({ status: 'accepted_offline', mode: 'offline' }));
      process.kill(process.pid, 'SIGKILL');`;
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: 'inherit',
    });
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    const journal = openJournal(tmpDir, signer);
    expect(journal.payments()).toHaveLength(1);
    expect((await journal.verify({ publicKey: signer.publicKey })).ok).toBe(true);
    journal.close();
  });
});
