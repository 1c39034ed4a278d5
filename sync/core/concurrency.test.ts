/**
 * Uploads racing, made to collide deterministically on PostgreSQL by holding a terminal's row lock:
 * - the same batch twice at the same moment (two core processes, or a terminal's retry that
 *   overtakes its first try): both wait for the terminal's row lock, and the second, once it holds
 *   the lock, must see what the first committed. Each must answer what the core holds; nothing is
 *   applied twice.
 * - a code used by another terminal after an upload read it (codes are read before the terminal's
 *   lock): the upload's insert collides, and it is judged again, as a code already used;
 * - a wallet another terminal pays from while an upload waits at its terminal's lock: the upload
 *   reads the balance under the wallet's lock, after that payment.
 * - a terminal's two batches in flight, the later one ready for the terminal's lock first: they
 *   take it in seq order all the same, so a wallet's balance goes to the earlier payment;
 * - a terminal's request while an upload holds its lock: admitted without waiting, unless its clock
 *   moved (then recorded, once the lock is free).
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CoreClient } from '../client/core-client.ts';
import type { UploadedPayment } from '../protocol/wire.ts';
import type { RunningCore } from './server.ts';
import { SEEN_TOLERANCE_MS } from './service.ts';
import {
  activatedTerminal,
  cny,
  openTestDb,
  POSTGRES_SKIP_REASON,
  paymentFacts,
  postgresAvailable,
  startTestCore,
  type TestDb,
} from './testing.ts';
import { REASONS } from './wallet-codes.ts';

const pgOk = await postgresAvailable();

describe.skipIf(!pgOk)(`uploads racing on PostgreSQL (${pgOk ? 'running' : POSTGRES_SKIP_REASON})`, () => {
  let t: TestDb;
  let core: RunningCore;
  beforeAll(async () => {
    t = await openTestDb('postgres');
    core = await startTestCore(t.db);
  }, 60_000);
  afterAll(async () => {
    await core?.close();
    await t?.cleanup();
  });
  // Each test spies on the database's transactions its own way.
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A terminal's upload of one payment of `minor` stored offline with wallet code `code`, at `seq`. */
  const payOffline = (terminal: { client: CoreClient }, minor: number, code: string, seq = 1) =>
    terminal.client.upload({
      payments: [{ ...paymentFacts(seq, minor), state: 'accepted_offline', code }],
      head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
      atAnchor: null,
      queueDepth: 1,
      softwareVersion: 't',
    });

  /**
   * A connection holding `terminalId`'s row FOR KEY SHARE, in a transaction left open: uploads are
   * admitted (their nonce, last-seen time), then wait at the terminal's lock (FOR UPDATE).
   */
  async function holdTerminalRow(terminalId: string): Promise<pg.Client> {
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM terminals WHERE terminal_id = $1 FOR KEY SHARE', [terminalId]);
      return blocker;
    } catch (err) {
      await blocker.end();
      throw err;
    }
  }

  /** Statements of this database waiting for a lock FOR UPDATE. */
  async function waitersForUpdate(): Promise<number | undefined> {
    // Not on the blocker's connection: inside a transaction, pg_stat_activity is a snapshot.
    const waiting = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`,
    );
    return waiting.rows[0]?.n;
  }

  /**
   * Starts `uploads` (of `terminalId`) and holds them at their terminal's row lock (FOR UPDATE)
   * until every one of them waits there, having read its codes; runs `meanwhile`, then lets them
   * go. The row is held FOR KEY SHARE, which lets each request be admitted (its nonce, last-seen
   * time). Returns their answers, and the attempts given up and made again: failed to be retried
   * (40001, see db.ts), or with a row left out of the insert (UnprobedClash, see service.ts).
   */
  async function heldAtTerminalLock<T>(
    terminalId: string,
    uploads: () => Promise<T>[],
    meanwhile: () => Promise<void> = async () => {},
  ): Promise<{ answers: T[]; retried: number; clashes: number }> {
    let retried = 0;
    let clashes = 0;
    const transaction = t.db.transaction.bind(t.db);
    vi.spyOn(t.db, 'transaction').mockImplementation((fn) =>
      transaction(async (tx) => {
        try {
          return await fn(tx);
        } catch (err) {
          if ((err as { code?: string }).code === '40001') retried += 1;
          if ((err as Error).constructor.name === 'UnprobedClash') clashes += 1;
          throw err;
        }
      }),
    );
    const blocker = await holdTerminalRow(terminalId);
    try {
      const started = uploads();
      await vi.waitFor(async () => expect(await waitersForUpdate()).toBe(started.length), {
        timeout: 10_000,
        interval: 20,
      });
      await meanwhile();
      await blocker.query('COMMIT');
      return { answers: await Promise.all(started), retried, clashes };
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
  }

  it('the same batch twice at once: both answers are what the core holds, each payment applied once', async () => {
    const term = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const payments: UploadedPayment[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const { code } = await core.service.issueWalletCode(walletId);
      payments.push({ ...paymentFacts(seq, 1_000), state: 'accepted_offline', code });
    }
    const request = {
      payments,
      head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
      atAnchor: null,
      queueDepth: 5,
      softwareVersion: 't',
    };

    const { answers, retried } = await heldAtTerminalLock(term.terminalId, () => [
      term.client.upload(request),
      term.client.upload(request),
    ]);
    const held = await core.service.payments({ terminalId: term.terminalId });
    expect(held).toHaveLength(5);
    expect(held.every((p) => p.state === 'settled')).toBe(true);
    for (const answer of answers) {
      expect(answer.conflicts).toEqual([]);
      expect(answer.results.map((r) => [r.seq, r.state, r.reason ?? null])).toEqual(
        [1, 2, 3, 4, 5].map((seq) => [seq, 'settled', null]),
      );
    }
    // One of them applied the batch, the other found it applied.
    expect(answers.map((a) => a.results.every((r) => r.duplicate)).sort()).toEqual([false, true]);
    // None failed to be retried (40001): the second reads the payments after it has the lock, so it
    // finds the first's, rather than colliding with them on insert.
    expect(retried).toBe(0);
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(5_000));
    expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
  });

  it('a code another terminal uses after an upload read it: judged again, as used, and paid once', async () => {
    const late = await activatedTerminal(core);
    const quick = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code } = await core.service.issueWalletCode(walletId);

    const {
      answers: [answer],
      clashes,
    } = await heldAtTerminalLock(
      late.terminalId,
      () => [payOffline(late, 1_000, code)],
      async () => {
        const quickAnswer = await payOffline(quick, 1_000, code);
        expect(quickAnswer.results.map((r) => r.state)).toEqual(['settled']);
      },
    );
    expect(answer?.results.map((r) => [r.state, r.reason])).toEqual([
      ['declined_after_sync', REASONS.codeReused],
    ]);
    expect(clashes).toBe(1);
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_000));
    expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
  });

  it("a wallet another terminal pays from while an upload waits: the upload reads the wallet's balance after", async () => {
    const late = await activatedTerminal(core);
    const quick = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code: lateCode } = await core.service.issueWalletCode(walletId);
    const { code: quickCode } = await core.service.issueWalletCode(walletId);

    const {
      answers: [answer],
      clashes,
    } = await heldAtTerminalLock(
      late.terminalId,
      () => [payOffline(late, 6_000, lateCode)],
      async () => {
        const quickAnswer = await payOffline(quick, 3_000, quickCode);
        expect(quickAnswer.results.map((r) => r.state)).toEqual(['settled']);
      },
    );
    expect(answer?.results.map((r) => r.state)).toEqual(['settled']);
    expect(clashes).toBe(0);
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(1_000));
    expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
  });

  it("a terminal's later batch ready for its lock first: the batches take it in seq order", async () => {
    const term = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code: first } = await core.service.issueWalletCode(walletId);
    const { code: second } = await core.service.issueWalletCode(walletId);
    // The batch of seq 1 is held as it reads its codes (before the terminal's lock), until the batch
    // of seq 2, sent after it, asks for the lock (at once without turns) or 500 ms have passed.
    let reading!: () => void;
    const firstReads = new Promise<void>((resolve) => {
      reading = resolve;
    });
    let secondLocks!: () => void;
    const secondAsksForLock = new Promise<void>((resolve) => {
      secondLocks = resolve;
    });
    let letRead!: () => void;
    const firstMayRead = new Promise<void>((resolve) => {
      letRead = resolve;
    });
    const transaction = t.db.transaction.bind(t.db);
    vi.spyOn(t.db, 'transaction').mockImplementation((fn) =>
      transaction((tx) => {
        let readsSecond = false;
        return fn({
          ...tx,
          query: async (sql, params) => {
            const codes = String(sql).includes('FROM wallet_codes') ? String(params?.[0]) : '';
            if (codes.includes(first)) {
              reading();
              await firstMayRead;
            }
            if (codes.includes(second)) readsSecond = true;
            if (readsSecond && String(sql).includes('FROM terminals WHERE terminal_id = $1 FOR UPDATE'))
              secondLocks();
            return tx.query(sql, params);
          },
        });
      }),
    );
    const blocker = await holdTerminalRow(term.terminalId);
    try {
      const earlier = payOffline(term, 6_000, first, 1);
      await firstReads;
      const later = payOffline(term, 6_000, second, 2);
      // With turns, the later batch waits for the earlier one and never asks first.
      await Promise.race([secondAsksForLock, new Promise((resolve) => setTimeout(resolve, 500))]);
      letRead();
      await vi.waitFor(async () => expect(await waitersForUpdate()).toBeGreaterThanOrEqual(1), {
        timeout: 10_000,
        interval: 20,
      });
      await blocker.query('COMMIT');
      const answers = await Promise.all([earlier, later]);
      expect(answers.map((a) => a.results.map((r) => [r.seq, r.state, r.reason ?? null]))).toEqual([
        [[1, 'settled', null]],
        [[2, 'declined_after_sync', REASONS.balance]],
      ]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(4_000));
    expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
  });

  it("a terminal's request is admitted while an upload holds its lock; a moved clock is recorded once the lock is free", async () => {
    let skewMs = 0;
    const term = await activatedTerminal(core, { localNow: () => Date.now() + skewMs });
    const seen = () =>
      t.db.query<{ last_seen_at: Date; clock_offset_ms: number }>(
        'SELECT last_seen_at, clock_offset_ms FROM terminals WHERE terminal_id = $1',
        [term.terminalId],
      );
    // The terminal's row is held below as an upload holds it (FOR UPDATE, to its commit): the
    // connection is ready first, so that the request before it is as recent as can be.
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    let before: { last_seen_at: Date; clock_offset_ms: number } | undefined;
    try {
      await blocker.query('BEGIN');
      await term.client.syncState();
      before = (await seen()).rows[0];
      await blocker.query('SELECT 1 FROM terminals WHERE terminal_id = $1 FOR UPDATE', [term.terminalId]);
      // Seen a moment ago with the same clock: admitted without waiting (recording it seen would
      // wait here for the commit).
      const state = await Promise.race([
        term.client.syncState(),
        new Promise((resolve) => setTimeout(() => resolve('waited'), 5_000)),
      ]);
      expect(state).toMatchObject({ terminalId: term.terminalId });
      // The terminal's clock moved by a minute: that is recorded, so this one waits for the lock.
      skewMs = -60_000;
      const moved = term.client.syncState();
      await vi.waitFor(
        async () => {
          const waiting = await t.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%request_nonces%'`,
          );
          expect(waiting.rows[0]?.n).toBe(1);
        },
        { timeout: 10_000, interval: 20 },
      );
      await blocker.query('COMMIT');
      await moved;
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    const after = (await seen()).rows[0];
    expect(Math.abs((after?.clock_offset_ms ?? 0) - (before?.clock_offset_ms ?? 0) - 60_000)).toBeLessThan(
      SEEN_TOLERANCE_MS,
    );
    expect(after?.last_seen_at.getTime()).toBeGreaterThanOrEqual(before?.last_seen_at.getTime() ?? Infinity);
  });

  it('an upload records its terminal seen at its commit, so that its next batches find the record fresh', async () => {
    const term = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code } = await core.service.issueWalletCode(walletId);
    const lastSeen = async () =>
      (
        await t.db.query<{ last_seen_at: Date }>(
          'SELECT last_seen_at FROM terminals WHERE terminal_id = $1',
          [term.terminalId],
        )
      ).rows[0]?.last_seen_at.getTime();
    await term.client.syncState();
    const before = await lastSeen();
    // Admitted within the second with the same clock, the upload doesn't record it seen; its commit does.
    await payOffline(term, 1_000, code);
    expect(await lastSeen()).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);
  });

  it('an upload refused with a wallet of its batch locked elsewhere: refused once that frees, nothing applied or left locked', async () => {
    const term = await activatedTerminal(core);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code: first } = await core.service.issueWalletCode(walletId);
    const { code: second } = await core.service.issueWalletCode(walletId);
    expect((await payOffline(term, 1_000, first, 1)).results[0]?.state).toBe('settled');
    // Another payment at seq 1 (another copy of the journal): refused whole, after the statements
    // queued under the terminal's lock have run, the wallet's lock among them.
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM wallets WHERE wallet_id = $1 FOR UPDATE', [walletId]);
      const refused = payOffline(term, 2_000, second, 1).catch((err: unknown) => err);
      await vi.waitFor(async () => expect(await waitersForUpdate()).toBeGreaterThanOrEqual(1), {
        timeout: 10_000,
        interval: 20,
      });
      await blocker.query('COMMIT');
      expect(await refused).toMatchObject({ code: 'JOURNAL_DIVERGED' });
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_000));
    // Nothing held: the wallet pays another terminal's payment at once.
    const other = await activatedTerminal(core);
    expect((await payOffline(other, 500, second, 1)).results[0]?.state).toBe('settled');
    expect((await core.service.wallet(walletId)).balance).toEqual(cny(8_500));
  });
});
