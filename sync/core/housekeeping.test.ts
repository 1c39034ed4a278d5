/**
 * The core's housekeeping (startCore runs it every minute): old nonces forgotten, and the planner's
 * statistics refreshed where autovacuum doesn't (PGlite; a server with autovacuum off, as in CI),
 * so a plan cached on a terminal's first payments doesn't read all of them once it has thousands.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openCoreDb } from './db.ts';
import { migrateCore } from './migrate.ts';
import { NONCE_RETENTION_S } from './service.ts';
import {
  activatedTerminal,
  BACKENDS,
  type Backend,
  cny,
  createPostgresDatabase,
  openTestDb,
  POSTGRES_SKIP_REASON,
  postgresAvailable,
  startTestCore,
  type TestDb,
} from './testing.ts';

const pgOk = await postgresAvailable();

describe.each(BACKENDS)('housekeeping on %s', (backend: Backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let t: TestDb;
  let core: Awaited<ReturnType<typeof startTestCore>>;

  beforeAll(async () => {
    if (skip) return;
    t = await openTestDb(backend);
    core = await startTestCore(t.db);
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await core.close();
    await t.cleanup();
  });

  describe.skipIf(skip)(`(${skip ? POSTGRES_SKIP_REASON : 'running'})`, () => {
    it('forgets nonces older than their retention and keeps the others', async () => {
      const term = await activatedTerminal(core);
      await t.db.query(
        `INSERT INTO request_nonces (terminal_id, nonce, seen_at) VALUES
           ($1, 'old', now() - make_interval(secs => $2 + 1)),
           ($1, 'recent', now() - make_interval(secs => $2 - 60))`,
        [term.terminalId, NONCE_RETENTION_S],
      );
      expect(await core.service.forgetOldNonces()).toBe(1);
      const left = await t.db.query<{ nonce: string }>(
        `SELECT nonce FROM request_nonces WHERE terminal_id = $1 AND nonce IN ('old', 'recent')`,
        [term.terminalId],
      );
      expect(left.rows.map((r) => r.nonce)).toEqual(['recent']);
    });

    it('analyses the tables changed past the threshold, and only those', async () => {
      // Whatever earlier writes made stale is analysed first.
      await core.service.refreshStatistics();
      expect(await core.service.refreshStatistics()).toEqual([]);
      // 5 wallets: under the threshold of 50 rows changed (and 10 % of the table).
      for (let i = 0; i < 5; i++) await core.service.createWallet(cny(100));
      await vi.waitFor(
        async () => {
          await t.db.query('SELECT pg_stat_force_next_flush()');
          const r = await t.db.query<{ n: number }>(
            "SELECT n_mod_since_analyze::int AS n FROM pg_stat_user_tables WHERE relname = 'wallets'",
          );
          expect(r.rows[0]?.n).toBe(5);
        },
        { timeout: 10_000, interval: 250 },
      );
      expect(await core.service.refreshStatistics()).toEqual([]);
      // 60 more: 65 rows of wallets and 130 of the ledger, past 50 + 10 % of their few rows.
      for (let i = 0; i < 60; i++) await core.service.createWallet(cny(100));
      // Another connection's counts reach the statistics within a second or so of its last write.
      await vi.waitFor(
        async () => {
          const analysed = await core.service.refreshStatistics();
          expect(analysed).toEqual(expect.arrayContaining(['public.ledger_entries', 'public.wallets']));
          expect(analysed).not.toContain('public.payments');
        },
        { timeout: 10_000, interval: 250 },
      );
      expect(await core.service.refreshStatistics()).toEqual([]);
    });
  });
});

describe.skipIf(!pgOk)(`a cached plan on PostgreSQL (${pgOk ? 'running' : POSTGRES_SKIP_REASON})`, () => {
  it("probes both unique keys after a terminal's payments grew from a few to thousands", async () => {
    const { url, drop } = await createPostgresDatabase();
    // One connection, so the plans the core caches are the ones EXPLAIN EXECUTE shows.
    const db = await openCoreDb({ url, poolSize: 1 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await migrateCore(db);
      const core = await startTestCore(db);
      try {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(1_000_000));
        const pay = async (seq: number) => {
          const { code } = await core.service.issueWalletCode(walletId);
          const r = await term.client.authorise({
            paymentId: crypto.randomUUID(),
            seq,
            amount: cny(100),
            scheme: 'alipay',
            codeHash: crypto.createHash('sha256').update(code).digest('hex'),
            capturedAt: new Date().toISOString(),
            code,
          });
          expect(r.outcome).toBe('approved');
        };
        // Past the five custom plans: PostgreSQL now runs a generic plan, made on a few payments.
        for (let seq = 1; seq <= 8; seq++) await pay(seq);
        const plans = async () => {
          const rows = async (sql: string) =>
            (await db.query<{ 'QUERY PLAN': string }>(sql)).rows.map((r) => r['QUERY PLAN']).join('\n');
          return [
            await rows(
              `EXPLAIN EXECUTE "authorise-admit-lock"('${term.terminalId}', 'n', 0, '${crypto.randomUUID()}', 9, 'c')`,
            ),
            await rows(
              `EXPLAIN EXECUTE "record-online-payment"('${term.terminalId}', '${term.merchantId}',
                 '${crypto.randomUUID()}', 9, 100, 'CNY', 'alipay', '\\x00', now(), 'approved', NULL,
                 '${walletId}', NULL, NULL)`,
            ),
          ].join('\n');
        };
        // A terminal that has since uploaded 20,000 stored payments.
        await admin.query(
          `INSERT INTO payments (terminal_id, merchant_id, payment_id, seq, amount_minor, currency, scheme,
                                 code_hash, captured_at, mode, state)
           SELECT $1, $2, gen_random_uuid(), 1000 + g, 100, 'CNY', 'alipay', '\\x00', now(), 'offline', 'settled'
           FROM generate_series(1, 20000) g`,
          [term.terminalId, term.merchantId],
        );
        // This connection's counts reported now: an idle connection may hold them back.
        await admin.query('SELECT pg_stat_force_next_flush()');
        await admin.query('SELECT 1');
        // The situation this is about: the plan reads the terminal's payments through one key and
        // filters them by the other.
        expect(await plans()).toMatch(/Filter: \((payment_id = \$4|seq = \(w\.s \+ 1\))\)/);
        await vi.waitFor(
          async () => expect(await core.service.refreshStatistics()).toContain('public.payments'),
          { timeout: 10_000, interval: 250 },
        );
        const after = await plans();
        expect(after).not.toMatch(/Filter: \((payment_id|seq) = /);
        expect(after).toMatch(/Index Cond: \(\(terminal_id = \$1\) AND \(payment_id = \$4\)\)/);
        expect(after).toMatch(/Index Cond: \(\(terminal_id = \$1\) AND \(seq = \$5\)\)/);
        expect(after).toMatch(/Index Cond: \(\(terminal_id = \$1\) AND \(seq = \(w\.s \+ 1\)\)\)/);
        // And the payments still go through.
        await pay(9);
      } finally {
        await core.close();
      }
    } finally {
      await admin.end();
      await db.close();
      await drop();
    }
  }, 60_000);
});
