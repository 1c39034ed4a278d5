/**
 * The sync engine's own decisions, against a scripted core: what it sends, what it records and what
 * it sets aside. The whole path against a real core is in device/sync.test.ts.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, vi } from 'vitest';
import { entryHash, type SyncResultsBody } from '../journal/entry.ts';
import { openJournal, payment, test } from '../journal/fixtures.ts';
import type { Journal } from '../journal/journal.ts';
import type { PaymentResult, UploadRequest, UploadResponse } from '../protocol/wire.ts';
import type { CoreClient } from './core-client.ts';
import { CoreRejectedError, CoreTimeoutError } from './errors.ts';
import { SyncEngine } from './sync-engine.ts';

const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;

/** A core that holds what it is sent, numbers contiguity like the real one and answers per `stateOf`. */
function scriptedCore(options: {
  stateOf?: (seq: number) => PaymentResult['state'];
  upload?: (req: UploadRequest, call: number) => Promise<UploadResponse> | undefined;
  query?: CoreClient['query'];
  cancel?: CoreClient['cancel'];
}) {
  const held = new Map<number, PaymentResult>();
  const sentSeqs: number[] = [];
  const contiguous = () => {
    let n = 0;
    while (held.has(n + 1)) n += 1;
    return n;
  };
  let calls = 0;
  const client = {
    async syncState() {
      return {
        terminalId: 'sp-test',
        highestContiguousSeq: contiguous(),
        anchor: null,
        serverTime: new Date().toISOString(),
      };
    },
    async upload(req: UploadRequest): Promise<UploadResponse> {
      calls += 1;
      const scripted = options.upload?.(req, calls);
      if (scripted) return scripted;
      const results = req.payments.map((p) => {
        sentSeqs.push(p.seq);
        const r: PaymentResult = {
          paymentId: p.paymentId,
          seq: p.seq,
          state:
            p.state === 'accepted_offline'
              ? (options.stateOf?.(p.seq) ?? 'settled')
              : (p.state as PaymentResult['state']),
          duplicate: held.has(p.seq),
        };
        held.set(p.seq, r);
        return r;
      });
      return { results, conflicts: [], highestContiguousSeq: contiguous(), anchor: null };
    },
    async results(from: number, limit: number) {
      return { results: [...held.values()].filter((r) => r.seq >= from).slice(0, limit) };
    },
    query: options.query ?? (async (paymentId: string) => ({ paymentId, state: 'not_found' as const })),
    cancel: options.cancel,
  };
  return { client: client as unknown as CoreClient, sentSeqs };
}

function storeOffline(journal: Journal, count: number): string[] {
  return Array.from(
    { length: count },
    () =>
      journal.capture(payment({ amount: '1.00' }), () => ({ status: 'accepted_offline', mode: 'offline' }))
        .paymentId,
  );
}

function engine(
  journal: Journal,
  client: CoreClient,
  extra: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {},
) {
  return new SyncEngine({ journal, client, log: quiet, softwareVersion: 'test', batchSize: 2, ...extra });
}

describe('sync engine', () => {
  test('a head the terminal will not sign (changed without its key) is refused for good, saying why', async ({
    tmpDir,
    signer,
  }) => {
    const journal = openJournal(tmpDir, signer, { signWithinMs: 3_600_000 });
    storeOffline(journal, 2);
    // Entry 2, unsigned within the window, changed and rehashed by someone without the key.
    const raw = new Database(path.join(tmpDir, 'journal.sqlite'));
    raw.exec('DROP TRIGGER entries_no_update');
    const r = raw.prepare('SELECT * FROM entries WHERE entry_seq = 2').get() as {
      kind: string;
      payment_id: string;
      at: string;
      body: string;
      prev_hash: Buffer;
    };
    const body = r.body.replace('"minor":100', '"minor":1');
    raw
      .prepare('UPDATE entries SET body = ?, hash = ? WHERE entry_seq = 2')
      .run(body, entryHash(r.prev_hash, 2, r.kind, r.payment_id, r.at, body));
    raw.close();
    const heads: (string | null)[] = [];
    const { client } = scriptedCore({
      // As the core answers an unsigned head it has no other fault to find with.
      upload: (req) => {
        heads.push(req.head.signature);
        return req.head.signature === null
          ? Promise.reject(
              new CoreRejectedError(
                400,
                'BAD_REQUEST',
                'head: the journal head must be signed',
                'head.signature',
              ),
            )
          : undefined;
      },
    });
    await expect(engine(journal, client).syncNow()).rejects.toMatchObject({
      code: 'CORRUPT',
      permanent: true,
      message: expect.stringContaining('journal verify'),
    });
    expect(heads[0]).toBeNull();
    journal.close();
  });

  test("a core older than the capture's clock offset refuses it as unknown: sent again without it, nothing parked", async ({
    journal,
  }) => {
    for (let i = 0; i < 3; i++)
      journal.capture({ ...payment({ amount: '1.00' }), clockOffsetMs: -600_000 }, () => ({
        status: 'accepted_offline',
        mode: 'offline',
      }));
    const seen: boolean[] = [];
    const { client } = scriptedCore({
      upload: (req) => {
        const i = req.payments.findIndex((p) => 'clockOffsetMs' in p);
        seen.push(i !== -1);
        if (i === -1) return undefined;
        return Promise.reject(
          new CoreRejectedError(
            400,
            'BAD_REQUEST',
            `payments.${i}.clockOffsetMs: unknown field`,
            `payments.${i}.clockOffsetMs`,
          ),
        );
      },
    });
    expect(await engine(journal, client).syncNow()).toMatchObject({ settled: 3, parked: 0 });
    // Refused with it (each batch in flight then), sent again without it.
    expect(seen[0]).toBe(true);
    expect(seen.at(-1)).toBe(false);
    expect(journal.syncInfo().parked).toEqual([]);
  });

  test("records each batch's results as one entry, settled and declined alike, and the chain verifies", async ({
    journal,
    signer,
  }) => {
    const ids = storeOffline(journal, 5);
    const head = journal.head().entrySeq;
    const core = scriptedCore({ stateOf: (seq) => (seq === 2 ? 'declined_after_sync' : 'settled') });
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ sent: 5, settled: 4, declined: 1 });
    // Batches of 2: three entries, each naming its batch's payments in seq order.
    const recorded = [...journal.entries()].filter((e) => e.entrySeq > head);
    expect(recorded.map((e) => e.kind)).toEqual(['sync_results', 'sync_results', 'sync_results']);
    expect(recorded.map((e) => (JSON.parse(e.body) as SyncResultsBody).results.map((r) => r.seq))).toEqual([
      [1, 2],
      [3, 4],
      [5],
    ]);
    expect(journal.payment(ids[1] as string)).toMatchObject({
      status: 'declined_after_sync',
      reason: 'declined by the core',
    });
    expect(await journal.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
    });
  });

  test('two syncs of one data folder at once report each payment settled once between them', async ({
    journal,
  }) => {
    storeOffline(journal, 5);
    const { client } = scriptedCore({});
    // Both uploads reach the core before either answer comes back (the kiosk's loop and
    // `suanpan sync` at once): the core holds each payment once; the second finds them duplicates.
    const upload = client.upload.bind(client);
    let arrived = 0;
    let bothIn: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      bothIn = resolve;
    });
    client.upload = async (req, options) => {
      if (req.payments.length > 0 && ++arrived === 2) bothIn();
      if (req.payments.length > 0) await gate;
      return upload(req, options);
    };
    const [a, b] = await Promise.all([engine(journal, client).syncNow(), engine(journal, client).syncNow()]);
    expect(a.settled + b.settled).toBe(5);
    expect(journal.payments({ status: 'settled' })).toHaveLength(5);
  });

  test('a payment parked here leaves a gap at the core; later syncs do not send the rest again', async ({
    journal,
  }) => {
    storeOffline(journal, 5);
    journal.park(1, 'set aside by a test');
    const core = scriptedCore({});
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ sent: 4, settled: 4 });
    expect(journal.syncInfo().uploadedThroughSeq).toBe(5);
    storeOffline(journal, 1);
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ sent: 1, duplicates: 0 });
    expect(core.sentSeqs).toEqual([2, 3, 4, 5, 6]);
  });

  test('a sync that fails after recording results says what it recorded: the next one will not count them', async ({
    journal,
  }) => {
    storeOffline(journal, 3);
    // Every batch goes through; the final anchor-only upload finds the link gone.
    const core = scriptedCore({
      upload: (req) =>
        req.payments.length === 0 ? Promise.reject(new CoreTimeoutError('no answer in time')) : undefined,
    });
    const failed = await engine(journal, core.client)
      .syncNow()
      .catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'CORE_TIMEOUT', recorded: { sent: 3, settled: 3 } });
    expect(journal.offlineStats().pending).toBe(0);
  });

  test('a stored payment the core holds as an online payment is parked with the reason, not settled', async ({
    journal,
  }) => {
    const [, second] = storeOffline(journal, 3);
    const core = scriptedCore({ stateOf: (seq) => (seq === 2 ? 'approved' : 'settled') });
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ settled: 2, parked: 1 });
    expect(journal.payment(second as string)?.status).toBe('accepted_offline');
    expect(journal.syncInfo().parked).toEqual([
      expect.objectContaining({
        seq: 2,
        reason: expect.stringContaining('core has this payment as approved'),
      }),
    ]);
  });

  test('a payment in doubt the core refuses to resolve is parked; the others still resolve', async ({
    journal,
  }) => {
    const refused = journal.capture(payment()).paymentId;
    const fine = journal.capture(payment()).paymentId;
    const core = scriptedCore({
      query: async (paymentId) => {
        if (paymentId === refused)
          throw new CoreRejectedError(
            409,
            'PAYMENT_CONFLICT' as never,
            'the core holds other facts under this id',
          );
        return { paymentId, state: 'approved' };
      },
    });
    const report = await engine(journal, core.client, { inFlightMs: 0 }).syncNow();
    expect(report).toMatchObject({ resolved: 1, resolvedApproved: 1 });
    expect(journal.payment(fine)?.status).toBe('approved');
    expect(journal.syncInfo().parked).toEqual([
      expect.objectContaining({ seq: 1, reason: expect.stringContaining('refused to resolve') }),
    ]);
    expect(journal.inDoubt()).toEqual([]);
  });

  test('a later batch failing while an earlier one is in flight fails the sync, with no unhandled rejection', async ({
    journal,
  }) => {
    storeOffline(journal, 6);
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const core = scriptedCore({
        upload: (_req, call) => {
          if (call === 1)
            return new Promise((resolve) =>
              setTimeout(
                () => resolve({ results: [], conflicts: [], highestContiguousSeq: 0, anchor: null }),
                50,
              ),
            );
          if (call === 2) return Promise.reject(new CoreRejectedError(503, 'HTTP_ERROR', 'core busy'));
          return undefined;
        },
      });
      await expect(engine(journal, core.client).syncNow()).rejects.toMatchObject({ permanent: false });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  test('a payment with a field the core refuses (400 naming it) is parked with the reason; the rest settle', async ({
    journal,
  }) => {
    storeOffline(journal, 3);
    let refusals = 0;
    const core = scriptedCore({
      upload: (req) => {
        const i = req.payments.findIndex((p) => p.seq === 2);
        if (i < 0) return undefined;
        refusals += 1;
        const field = `payments.${i}.amount`;
        return Promise.reject(new CoreRejectedError(400, 'BAD_REQUEST', `${field}: too big`, field));
      },
    });
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ sent: 2, settled: 2, parked: 1 });
    expect(refusals).toBe(1);
    expect([...core.sentSeqs].sort()).toEqual([1, 3]);
    expect(journal.syncInfo().parked).toEqual([
      expect.objectContaining({ seq: 2, reason: expect.stringContaining('the core refused it') }),
    ]);
    // Parked, it is not offered again.
    expect(await engine(journal, core.client).syncNow()).toMatchObject({ sent: 0, parked: 0 });
    expect(refusals).toBe(1);
  });

  test('the loop stops on a refusal of the terminal itself, and keeps retrying a transient failure', async ({
    journal,
  }) => {
    /** Runs the loop against a core that always fails so, until `done` holds. */
    const loop = async (failure: Error, done: (calls: number, e: SyncEngine) => boolean) => {
      let calls = 0;
      const client = {
        async syncState() {
          calls += 1;
          throw failure;
        },
      } as unknown as CoreClient;
      const e = engine(journal, client, { retryBaseMs: 1, retryCapMs: 4, intervalMs: 60_000 });
      e.start();
      await vi.waitFor(() => expect(done(calls, e)).toBe(true), { timeout: 10_000, interval: 5 });
      // Time for a few more retries, were the loop still running.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const status = e.status;
      await e.stop();
      return { calls, status };
    };
    const revoked = await loop(
      new CoreRejectedError(401, 'TERMINAL_REVOKED', 'revoked by the operator'),
      (_, e) => e.status.state === 'stopped',
    );
    expect(revoked.calls).toBe(1);
    // No payment taken offline now could be forwarded: the offline policy is told.
    expect(journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'TERMINAL_REVOKED' });
    expect(revoked.status).toMatchObject({
      state: 'stopped',
      lastError: expect.objectContaining({ code: 'TERMINAL_REVOKED' }),
    });
    const busy = await loop(new CoreRejectedError(503, 'HTTP_ERROR', 'core busy'), (calls) => calls > 2);
    expect(busy.status.state).not.toBe('stopped');
    // The core answered, if with an error: the terminal is online.
    expect([revoked.status.online, busy.status.online]).toEqual([true, true]);
  });

  test('a journal behind the core (an older copy) is refused, blocks offline payments, and a good sync lifts the block', async ({
    journal,
  }) => {
    storeOffline(journal, 2);
    const core = scriptedCore({});
    const ahead = {
      ...core.client,
      syncState: async () => ({ ...(await core.client.syncState()), highestContiguousSeq: 5 }),
    } as unknown as CoreClient;
    await expect(engine(journal, ahead).syncNow()).rejects.toMatchObject({
      code: 'JOURNAL_BEHIND',
      permanent: true,
      message: expect.stringContaining('up to seq 5, but this journal ends at seq 2'),
    });
    expect(core.sentSeqs).toEqual([]); // nothing sent from the older copy
    expect(journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_BEHIND' });
    // An unreachable core afterwards does not lift it: only a sync that succeeds does.
    journal.recordSyncAttempt({ error: { code: 'CORE_UNREACHABLE', message: 'down' } });
    expect(journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_BEHIND' });
    await engine(journal, core.client).syncNow();
    expect(journal.offlineStats().forwardingBlocked).toBeNull();
  });

  test("a result whose payment at a seq is not this journal's is a divergence, never passed over", async ({
    journal,
  }) => {
    const [first] = storeOffline(journal, 1);
    const shown: UploadRequest[] = [];
    const core = scriptedCore({
      // As the real core answers a payment at a seq it holds as another (and flags the terminal).
      upload: async (req) => {
        shown.push(req);
        return {
          results: [],
          conflicts: req.payments.map((p) => ({ paymentId: p.paymentId, seq: p.seq, reason: 'seq taken' })),
          highestContiguousSeq: 1,
          anchor: null,
        };
      },
    });
    // The core holds seq 1 as another payment; this journal still waits for its answer at seq 1.
    const other = {
      ...core.client,
      syncState: async () => ({ ...(await core.client.syncState()), highestContiguousSeq: 1 }),
      results: async () => ({
        results: [
          { paymentId: '00000000-0000-7000-8000-000000000001', seq: 1, state: 'settled', duplicate: false },
        ],
      }),
    } as unknown as CoreClient;
    await expect(engine(journal, other).syncNow()).rejects.toMatchObject({
      code: 'JOURNAL_DIVERGED',
      message: expect.stringContaining(`this journal has payment ${first} there`),
    });
    // The core was shown this journal's payment at that seq, so it can flag the terminal; the
    // conflict it answered is not recorded here (the payment is neither parked nor settled).
    expect(shown.map((r) => r.payments.map((p) => [p.seq, p.paymentId]))).toEqual([[[1, first]]]);
    expect(journal.payment(first as string)?.status).toBe('accepted_offline');
    expect(journal.syncInfo().parked).toEqual([]);
    expect(journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
  });

  test('an upload that times out (a slow link) is sent in halved batches at the next tries, until it fits', async ({
    journal,
  }) => {
    storeOffline(journal, 30);
    const sizes: number[] = [];
    // The link carries at most 12 payments within the timeout.
    const core = scriptedCore({
      upload: (req) => {
        if (req.payments.length > 0) sizes.push(req.payments.length);
        return req.payments.length > 12
          ? Promise.reject(new CoreTimeoutError('No answer from the core in time (POST /v1/sync/upload).'))
          : undefined;
      },
    });
    const e = engine(journal, core.client, { batchSize: 64 });
    const failed: string[] = [];
    let report: Awaited<ReturnType<SyncEngine['syncNow']>> | undefined;
    for (let attempt = 0; attempt < 5 && !report; attempt++) {
      report = await e.syncNow().catch((err: { code: string }) => {
        failed.push(err.code);
        return undefined;
      });
    }
    // 64 → 32 → 16 → 10 (the floor): three timeouts, then every batch fits.
    expect(failed).toEqual(['CORE_TIMEOUT', 'CORE_TIMEOUT', 'CORE_TIMEOUT']);
    expect(report).toMatchObject({ sent: 30, settled: 30 });
    expect(sizes.slice(0, 2)).toEqual([30, 30]);
    expect(sizes.slice(-3)).toEqual([10, 10, 10]);
  });

  test('retryParked puts parked payments back in line only once the core answers', async ({ journal }) => {
    storeOffline(journal, 3);
    journal.park(2, 'a field the core refused');
    const down = {
      syncState: async () => {
        throw new CoreRejectedError(503, 'HTTP_ERROR', 'core busy');
      },
    } as unknown as CoreClient;
    await expect(engine(journal, down).syncNow(undefined, { retryParked: true })).rejects.toThrow();
    // The core never answered: the reason it was parked for is still shown.
    expect(journal.syncInfo().parked).toEqual([expect.objectContaining({ seq: 2 })]);
    const core = scriptedCore({});
    expect(await engine(journal, core.client).syncNow(undefined, { retryParked: true })).toMatchObject({
      unparked: 1,
      sent: 3,
      settled: 3,
    });
    expect(journal.syncInfo().parked).toEqual([]);
  });

  test('backoff: full jitter, uniform from 0 up to base·2^n, never above the cap', ({ journal }) => {
    let r = 0;
    const e = engine(journal, {} as CoreClient, { retryBaseMs: 100, retryCapMs: 10_000, random: () => r });
    for (const n of [1, 3, 6, 7, 20, 1_000]) {
      const ceiling = Math.min(10_000, 100 * 2 ** n);
      for (r of [0, 0.25, 0.5, 0.999_999])
        expect(e.backoff(n), `n=${n} r=${r}`).toBe(Math.floor(r * ceiling));
    }
  });
});
