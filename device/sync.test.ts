/**
 * Store and forward end to end: real terminals (journal, checkout, sync engine) against a real core
 * on PostgreSQL, through a fault-injecting proxy, with two core processes on one database, and
 * offline then online through the `suanpan` command.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../sync/client/sync-engine.ts';
import { openCoreDb } from '../sync/core/db.ts';
import { migrateCore } from '../sync/core/migrate.ts';
import type { RunningCore } from '../sync/core/server.ts';
import { CoreService } from '../sync/core/service.ts';
import {
  cny,
  createPostgresDatabase,
  openTestDb,
  POSTGRES_SKIP_REASON,
  postgresAvailable,
  silentLog,
  startTestCore,
  type TestDb,
} from '../sync/core/testing.ts';
import { parseAmount } from '../sync/protocol/money.ts';
import { FaultProxy } from '../test-hardware/fault-proxy.ts';
import { activate } from './activation.ts';
import { openTerminal, type Terminal } from './terminal.ts';
import { type CoreProcess, serveCoreProcess } from './testing/core-process.ts';

const pgOk = await postgresAvailable();
const BIG_LIMITS = { offlinePolicy: { totalStoredMax: '100000000.00', maxStoredCount: 1_000_000 } };

function newDataDir(settings: unknown = BIG_LIMITS): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-term-'));
  fs.writeFileSync(path.join(dir, 'suanpan.json'), JSON.stringify(settings));
  return dir;
}

async function activateAt(core: RunningCore, dataDir: string, merchantId?: string): Promise<string> {
  const merchant = merchantId ?? (await core.service.createMerchant('Shop')).merchantId;
  const { code } = await core.service.createActivationCode(merchant);
  const record = await activate({ dataDir, coreUrl: core.url, code, env: {} });
  return record.terminalId;
}

/** Takes payments offline (no core), each with a fresh code from the given wallets in turn. */
async function payOffline(
  core: { service: Pick<CoreService, 'issueWalletCode'> },
  dataDir: string,
  wallets: string[],
  count: number,
  amount = '1.00',
) {
  const codes: string[] = [];
  for (let i = 0; i < count; i++)
    codes.push((await core.service.issueWalletCode(wallets[i % wallets.length] as string)).code);
  const terminal = openTerminal({ dataDir, create: false, core: null, logger: silentLog(), env: {} });
  try {
    for (const code of codes) {
      const { payment } = await terminal.checkout.pay({ amount: parseAmount(amount), code });
      if (payment.status !== 'accepted_offline')
        throw new Error(`not stored: ${payment.status} ${payment.reason}`);
    }
  } finally {
    terminal.close();
  }
}

function engineFor(terminal: Terminal) {
  return new SyncEngine({
    journal: terminal.journal,
    client: terminal.coreClient as NonNullable<Terminal['coreClient']>,
    log: silentLog(),
    softwareVersion: 'test',
    retryBaseMs: 5,
    retryCapMs: 50,
  });
}

/** Syncs until nothing is left, whatever fails on the way; returns how many cycles it took. */
async function drain(terminal: Terminal, maxCycles = 500): Promise<number> {
  const engine = engineFor(terminal);
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    try {
      const report = await engine.syncNow();
      if (report.remaining === 0 && terminal.journal.offlineStats().inDoubt === 0) return cycle;
    } catch (err) {
      // transient: the proxy broke something; go again
      if (process.env.DEBUG_DRAIN) console.log(cycle, (err as Error).message);
    }
  }
  throw new Error(`not drained after ${maxCycles} cycles`);
}

async function expectStatesMatch(
  core: RunningCore,
  terminal: Terminal,
  terminalId: string,
  expected: number,
) {
  const held = await core.service.payments({ terminalId, limit: 100_000 });
  expect(held).toHaveLength(expected);
  expect(new Set(held.map((p) => p.paymentId)).size).toBe(expected);
  const local = new Map(terminal.journal.payments({ limit: 100_000 }).map((p) => [p.paymentId, p]));
  for (const p of held)
    expect({ id: p.paymentId, state: local.get(p.paymentId)?.status }).toEqual({
      id: p.paymentId,
      state: p.state,
    });
  const ledger = await core.service.ledgerCheck();
  expect(ledger).toEqual({ total: 0, walletsMismatched: 0 });
}

describe.skipIf(!pgOk)(`sync through faults (${pgOk ? 'PostgreSQL' : POSTGRES_SKIP_REASON})`, () => {
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

  it('5,000 stored payments through a faulty network: each applied exactly once, books balanced, states agree', async () => {
    const dataDir = newDataDir();
    const terminalId = await activateAt(core, dataDir);
    // 50 wallets; five of them can pay for only half of what they are asked, so some payments are
    // declined after sync.
    const wallets: string[] = [];
    for (let i = 0; i < 50; i++)
      wallets.push((await core.service.createWallet(cny(i < 5 ? 5_000 : 10_000))).walletId);
    await payOffline(core, dataDir, wallets, 5_000);

    const random = (() => {
      let x = 20_261_125;
      // Park–Miller: the same faults in every run.
      return () => {
        x = (x * 48_271) % 2_147_483_647;
        return x / 2_147_483_647;
      };
    })();
    const proxy = new FaultProxy({
      target: { host: '127.0.0.1', port: Number(new URL(core.url).port) },
      plan: {
        dropResponse: 0.15,
        resetMidRequest: 0.1,
        resetMidResponse: 0.1,
        duplicateRequest: 0.15,
        delayMs: { min: 0, max: 3 },
        random,
      },
    });
    const at = await proxy.start();
    const terminal = openTerminal({
      dataDir,
      create: false,
      logger: silentLog(),
      env: { SUANPAN_CORE_URL: `http://${at.host}:${at.port}` },
    });
    try {
      const cycles = await drain(terminal);
      expect(cycles).toBeGreaterThan(1); // the faults did bite
      const stats = proxy.stats;
      expect(stats.droppedResponses).toBeGreaterThan(0);
      expect(stats.resetRequests).toBeGreaterThan(0);
      expect(stats.resetResponses).toBeGreaterThan(0);
      expect(stats.duplicated).toBeGreaterThan(0);

      await expectStatesMatch(core, terminal, terminalId, 5_000);
      const local = terminal.journal.payments({ limit: 100_000 });
      expect(local.filter((p) => p.status === 'declined_after_sync').length).toBe(250);
      expect(local.filter((p) => p.status === 'settled').length).toBe(4_750);
      for (const w of wallets.slice(0, 5)) expect((await core.service.wallet(w)).balance).toEqual(cny(0));
      expect(
        (await terminal.journal.verify({ publicKey: terminal.key.publicKey, mac: terminal.key.mac })).ok,
      ).toBe(true);
      // Every raw code is erased once the core has the payment.
      expect(local.every((p) => terminal.journal.paymentCode(p.paymentId) === undefined)).toBe(true);
    } finally {
      terminal.close();
      await proxy.stop();
    }
  }, 300_000);

  it('parks what the core refuses for good and keeps the rest flowing; a stuck head never hot-loops', async () => {
    const dataDir = newDataDir();
    const terminalId = await activateAt(core, dataDir);
    const { walletId } = await core.service.createWallet(cny(100_000));
    await payOffline(core, dataDir, [walletId], 5);
    const terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    try {
      // The core already holds this terminal's seq 3 with another amount (a terminal that sent
      // other facts once): that payment is refused for good, the others go on.
      const client = terminal.coreClient as NonNullable<Terminal['coreClient']>;
      const third = terminal.journal.payments({ limit: 10 }).find((p) => p.seq === 3);
      await client.upload({
        payments: [
          {
            paymentId: third?.paymentId as string,
            seq: 3,
            amount: cny(1),
            scheme: 'alipay',
            codeHash: 'ab'.repeat(32),
            capturedAt: new Date().toISOString(),
            state: 'declined',
            mode: 'offline',
          },
        ],
        head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
        atAnchor: null,
        queueDepth: 0,
        softwareVersion: 'test',
      });
      const report = await engineFor(terminal).syncNow();
      expect(report).toMatchObject({ settled: 4, conflicts: 1, parked: 1, remaining: 1 });
      const info = terminal.journal.syncInfo();
      expect(info.parked).toEqual([
        expect.objectContaining({ seq: 3, reason: expect.stringContaining('held with other facts: amount') }),
      ]);
      // Parked stays parked: the next sync sends nothing new and does not fail.
      const again = await engineFor(terminal).syncNow();
      expect(again).toMatchObject({ sent: 0, conflicts: 0 });
      expect((await core.service.payments({ terminalId })).length).toBe(5);
    } finally {
      terminal.close();
    }

    // A core that can't be reached: the loop backs off instead of hammering.
    const offline = openTerminal({
      dataDir,
      create: false,
      logger: silentLog(),
      env: { SUANPAN_CORE_URL: 'http://127.0.0.1:59999' },
    });
    try {
      const engine = engineFor(offline);
      let attempts = 0;
      engine.onStatus((s) => {
        if (s.state === 'syncing') attempts += 1;
      });
      engine.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await engine.stop();
      expect(attempts).toBeGreaterThan(1);
      expect(attempts).toBeLessThan(40); // base 5 ms, cap 50 ms: a hot loop would make thousands
      expect(engine.status).toMatchObject({
        online: false,
        lastError: expect.objectContaining({ code: 'CORE_UNREACHABLE' }),
      });
      expect(engine.backoff(1)).toBeLessThanOrEqual(10);
      expect(engine.backoff(20)).toBeLessThanOrEqual(50);
    } finally {
      offline.close();
    }
  }, 60_000);

  it('a journal cut back after a sync is refused at the next sync and flagged at the core', async () => {
    const dataDir = newDataDir();
    const terminalId = await activateAt(core, dataDir);
    const { walletId } = await core.service.createWallet(cny(100_000));
    await payOffline(core, dataDir, [walletId], 3);
    let terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    const anchored = await engineFor(terminal)
      .syncNow()
      .then(() => terminal.journal.syncInfo().anchor);
    terminal.close();
    expect(anchored?.entrySeq).toBeGreaterThan(0);
    // Someone restores an older copy of the journal: the last entries, including the anchored head, are gone.
    const db = new Database(path.join(dataDir, 'journal.sqlite'));
    db.exec('DROP TRIGGER entries_no_delete');
    db.prepare('DELETE FROM entries WHERE entry_seq >= ?').run(anchored?.entrySeq);
    db.close();
    terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    try {
      await expect(engineFor(terminal).syncNow()).rejects.toMatchObject({
        code: 'JOURNAL_DIVERGED',
        permanent: true,
      });
      const alert = await t.db.query<{ integrity_alert: string }>(
        'SELECT integrity_alert FROM terminals WHERE terminal_id = $1',
        [terminalId],
      );
      expect(alert.rows[0]?.integrity_alert).toContain(`no longer has anchored entry ${anchored?.entrySeq}`);
    } finally {
      terminal.close();
    }
  });

  it('an older copy of the data folder, restored after online payments, is refused before it sends or anchors anything; the genuine one syncs on', async () => {
    const dataDir = newDataDir();
    const terminalId = await activateAt(core, dataDir);
    const { walletId } = await core.service.createWallet(cny(100_000));
    await payOffline(core, dataDir, [walletId], 2);
    let terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    await engineFor(terminal).syncNow();
    terminal.close();
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-term-copy-'));
    fs.cpSync(dataDir, copy, { recursive: true });
    // Two online payments after the copy: the core holds seqs 3 and 4; the anchor has not moved.
    terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    for (let i = 0; i < 2; i++) {
      const { code } = await core.service.issueWalletCode(walletId);
      const { payment } = await terminal.checkout.pay({ amount: cny(100), code });
      expect(payment.status).toBe('approved');
    }
    terminal.close();
    const restored = openTerminal({ dataDir: copy, create: false, logger: silentLog(), env: {} });
    try {
      await expect(engineFor(restored).syncNow()).rejects.toMatchObject({
        code: 'JOURNAL_BEHIND',
        message: expect.stringContaining('up to seq 4, but this journal ends at seq 2'),
      });
      // The copy takes no payment offline: it would get seq 3, which the core holds as another.
      const { code } = await core.service.issueWalletCode(walletId);
      const offline = openTerminal({
        dataDir: copy,
        create: false,
        core: null,
        logger: silentLog(),
        env: {},
      });
      try {
        const { payment } = await offline.checkout.pay({ amount: cny(100), code });
        expect(payment).toMatchObject({ status: 'declined', mode: 'offline' });
      } finally {
        offline.close();
      }
    } finally {
      restored.close();
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // Nothing of the copy's reached the core: the genuine terminal syncs as before.
    terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    try {
      await expect(engineFor(terminal).syncNow()).resolves.toMatchObject({ remaining: 0 });
      expect(await core.service.payments({ terminalId, limit: 10 })).toHaveLength(4);
    } finally {
      terminal.close();
    }
  });

  /** The terminal as the core's operator sees it (`suanpan core terminals`). */
  async function coreTerminal(terminalId: string) {
    const [row] = await core.service.terminals({ terminalId });
    return row;
  }

  /** A copied data folder: its own terminal, opened with or without the core. */
  function copyDataFolder(dataDir: string): string {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-term-copy-'));
    fs.cpSync(dataDir, copy, { recursive: true });
    return copy;
  }

  /** An activated terminal with seqs 1 and 2 synced (their head anchored), and a copy of its folder. */
  async function syncedThenCopied() {
    const dataDir = newDataDir();
    const terminalId = await activateAt(core, dataDir);
    const { walletId } = await core.service.createWallet(cny(100_000));
    await payOffline(core, dataDir, [walletId], 2);
    const terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
    try {
      await engineFor(terminal).syncNow();
    } finally {
      terminal.close();
    }
    return { dataDir, terminalId, walletId, copy: copyDataFolder(dataDir) };
  }

  it('two copies of a data folder, each with its own offline payment: the second to sync is refused, blocked, and flagged at the core; nothing of it applied', async () => {
    const { dataDir, terminalId, walletId, copy } = await syncedThenCopied();
    let terminal: Terminal;
    try {
      // Each copy takes its own payment offline at seq 3; the original syncs first.
      await payOffline(core, dataDir, [walletId], 1);
      await payOffline(core, copy, [walletId], 1);
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        await expect(engineFor(terminal).syncNow()).resolves.toMatchObject({ settled: 1 });
      } finally {
        terminal.close();
      }
      const before = await coreTerminal(terminalId);
      expect(before?.integrityAlert).toBeNull();
      let copyPayment: string | undefined;
      const copied = openTerminal({ dataDir: copy, create: false, logger: silentLog(), env: {} });
      try {
        const mine = copied.journal.payments({ limit: 10 }).find((p) => p.seq === 3);
        copyPayment = mine?.paymentId;
        await expect(engineFor(copied).syncNow()).rejects.toMatchObject({
          code: 'JOURNAL_DIVERGED',
          permanent: true,
          message: expect.stringContaining(`this journal has payment ${mine?.paymentId} there`),
        });
        // The copy stays blocked, its payment kept as it was: not parked, not settled.
        expect(copied.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
        expect(copied.journal.payment(mine?.paymentId as string)?.status).toBe('accepted_offline');
        expect(copied.journal.syncInfo().parked).toEqual([]);
      } finally {
        copied.close();
      }
      // The core's anchor shows the copy parted from it; the alert names the copy's payment too.
      const flagged = await coreTerminal(terminalId);
      expect(flagged?.integrityAlert).toContain('disagrees with what it anchored before');
      expect(flagged?.integrityAlert).toContain(`It sent payment ${copyPayment} at seq 3`);
      expect(flagged?.anchor).toEqual(before?.anchor);
      expect(await core.service.payments({ terminalId, limit: 10 })).toHaveLength(3);
      expect((await core.service.wallet(walletId)).balance).toEqual(cny(100_000 - 300));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a copy whose journal still holds every anchored head (the other took its payment online) is flagged by the payment at its seq; the head is not anchored', async () => {
    const { dataDir, terminalId, walletId, copy } = await syncedThenCopied();
    let terminal: Terminal;
    try {
      // The original takes seq 3 online (no anchor moves); the copy takes its own seq 3 offline.
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      let online: string;
      try {
        const { code } = await core.service.issueWalletCode(walletId);
        const { payment } = await terminal.checkout.pay({ amount: cny(100), code });
        expect(payment).toMatchObject({ status: 'approved', seq: 3 });
        online = payment.paymentId;
      } finally {
        terminal.close();
      }
      await payOffline(core, copy, [walletId], 1);
      const before = await coreTerminal(terminalId);
      const copied = openTerminal({ dataDir: copy, create: false, logger: silentLog(), env: {} });
      let offline: string | undefined;
      try {
        offline = copied.journal.payments({ limit: 10 }).find((p) => p.seq === 3)?.paymentId;
        await expect(engineFor(copied).syncNow()).rejects.toMatchObject({ code: 'JOURNAL_DIVERGED' });
        expect(copied.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
        expect(copied.journal.payment(offline as string)?.status).toBe('accepted_offline');
        expect(copied.journal.syncInfo().parked).toEqual([]);
      } finally {
        copied.close();
      }
      const flagged = await coreTerminal(terminalId);
      expect(flagged?.integrityAlert).toContain(
        `It sent payment ${offline} at seq 3, which the core holds as payment ${online}`,
      );
      // The copy's head was not anchored, and none of its payments applied.
      expect(flagged?.anchor).toEqual(before?.anchor);
      const held = await core.service.payments({ terminalId, limit: 10 });
      expect(held.map((p) => p.paymentId)).not.toContain(offline);
      expect(held).toHaveLength(3);
      expect((await core.service.wallet(walletId)).balance).toEqual(cny(100_000 - 300));
      // The original syncs on.
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        await expect(engineFor(terminal).syncNow()).resolves.toMatchObject({ remaining: 0 });
      } finally {
        terminal.close();
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a copy that takes a payment online at a seq the original used is refused, blocked and flagged; nothing charged', async () => {
    const { dataDir, terminalId, walletId, copy } = await syncedThenCopied();
    let terminal: Terminal;
    try {
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      let original: string;
      try {
        const { code } = await core.service.issueWalletCode(walletId);
        const { payment } = await terminal.checkout.pay({ amount: cny(100), code });
        expect(payment).toMatchObject({ status: 'approved', seq: 3 });
        original = payment.paymentId;
      } finally {
        terminal.close();
      }
      // A second copy of the same folder: its first payment is by the merchant's QR.
      const qrCopy = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-term-qr-'));
      fs.cpSync(copy, qrCopy, { recursive: true });
      const copied = openTerminal({ dataDir: copy, create: false, logger: silentLog(), env: {} });
      try {
        const { code } = await core.service.issueWalletCode(walletId);
        const { payment } = await copied.checkout.pay({ amount: cny(100), code });
        expect(payment).toMatchObject({ status: 'declined', mode: 'online', seq: 3 });
        expect(payment.reason).toContain(`at seq 3, which the core holds as payment ${original}`);
        // The copy takes nothing offline from now on: it could never be forwarded.
        expect(copied.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
      } finally {
        copied.close();
      }
      const byQr = openTerminal({ dataDir: qrCopy, create: false, logger: silentLog(), env: {} });
      try {
        const { payment } = await byQr.checkout.presentQr({ amount: cny(100) }, { onOrder: () => {} });
        expect(payment).toMatchObject({ status: 'declined', mode: 'online', seq: 3 });
        expect(byQr.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
      } finally {
        byQr.close();
        fs.rmSync(qrCopy, { recursive: true, force: true });
      }
      expect((await coreTerminal(terminalId))?.integrityAlert).toContain(
        `at seq 3, which the core holds as payment ${original}`,
      );
      expect((await core.service.wallet(walletId)).balance).toEqual(cny(100_000 - 300));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a copy whose clash is past the contiguous seq (the original stored seq 3, took seq 4 online) is refused whole and blocked; the original syncs on', async () => {
    const { dataDir, terminalId, walletId, copy } = await syncedThenCopied();
    let terminal: Terminal;
    try {
      // The original: seq 3 stored offline, seq 4 online (the core holds 4; its contiguous seq is 2).
      await payOffline(core, dataDir, [walletId], 1);
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        const { code } = await core.service.issueWalletCode(walletId);
        expect((await terminal.checkout.pay({ amount: cny(100), code })).payment).toMatchObject({
          status: 'approved',
          seq: 4,
        });
      } finally {
        terminal.close();
      }
      const before = await coreTerminal(terminalId);
      // The copy: its own seqs 3 and 4 offline, and it syncs first.
      await payOffline(core, copy, [walletId], 2);
      const copied = openTerminal({ dataDir: copy, create: false, logger: silentLog(), env: {} });
      try {
        await expect(engineFor(copied).syncNow()).rejects.toMatchObject({ code: 'JOURNAL_DIVERGED' });
        expect(copied.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
      } finally {
        copied.close();
      }
      const flagged = await coreTerminal(terminalId);
      expect(flagged?.integrityAlert).toContain('at seq 4');
      expect(flagged?.anchor).toEqual(before?.anchor);
      expect(await core.service.payments({ terminalId, limit: 10 })).toHaveLength(3);
      // The original: its stored seq 3 is settled, and nothing blocks it.
      terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        await expect(engineFor(terminal).syncNow()).resolves.toMatchObject({ settled: 1, remaining: 0 });
        expect(terminal.journal.offlineStats().forwardingBlocked).toBeNull();
      } finally {
        terminal.close();
      }
      expect(await core.service.payments({ terminalId, limit: 10 })).toHaveLength(4);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('resolves a payment left in doubt by a crash mid-call: query, then cancel', async () => {
    const dataDir = newDataDir();
    await activateAt(core, dataDir);
    const { walletId } = await core.service.createWallet(cny(10_000));
    const { code } = await core.service.issueWalletCode(walletId);
    let now = Date.now();
    const terminal = openTerminal({
      dataDir,
      create: false,
      logger: silentLog(),
      env: {},
      now: () => new Date(now),
    });
    try {
      // Captured, then the process "died" before the online call: the journal holds it as captured.
      const captured = terminal.journal.capture({
        amount: cny(500),
        scheme: 'alipay',
        code,
        codeHash: terminal.key.digestCode(code),
        codeMasked: '28****',
      });
      const engine = new SyncEngine({
        journal: terminal.journal,
        client: terminal.coreClient as NonNullable<Terminal['coreClient']>,
        log: silentLog(),
        softwareVersion: 'test',
        inFlightMs: 15_000,
        now: () => new Date(now),
      });
      expect((await engine.syncNow()).resolved).toBe(0); // its own call might still be in flight
      now += 16_000;
      expect(await engine.syncNow()).toMatchObject({ resolved: 1, resolvedApproved: 0 });
      expect(terminal.journal.payment(captured.paymentId)).toMatchObject({
        status: 'declined',
        mode: 'online',
      });
      expect((await core.service.wallet(walletId)).balance).toEqual(cny(10_000));
    } finally {
      terminal.close();
    }
  });

  it('a payment stored while the clock was wrong settles after the clock is set right: judged by the offset it recorded', async () => {
    const dataDir = newDataDir();
    await activateAt(core, dataDir);
    expect(fs.existsSync(path.join(dataDir, 'core-clock.json'))).toBe(true); // seen at activation
    const { walletId } = await core.service.createWallet(cny(10_000));
    let skewMs = -10 * 60_000; // the terminal's clock runs ten minutes slow
    const open = (online: boolean) =>
      openTerminal({
        dataDir,
        create: false,
        logger: silentLog(),
        env: {},
        now: () => new Date(Date.now() + skewMs),
        localNow: () => Date.now() + skewMs,
        ...(online ? {} : { core: null }),
      });
    // A sync while the clock is wrong: the core's clock is seen, and recorded.
    let terminal = open(true);
    await engineFor(terminal).syncNow();
    terminal.close();
    // The link drops; a payment is taken offline with a code the wallet just issued.
    const { code } = await core.service.issueWalletCode(walletId);
    terminal = open(false);
    const { payment } = await terminal.checkout.pay({ amount: cny(500), code });
    terminal.close();
    expect(payment.status).toBe('accepted_offline');
    // The clock is set right before the link is back; the core now measures an offset of about 0.
    skewMs = 0;
    terminal = open(true);
    try {
      expect(await engineFor(terminal).syncNow()).toMatchObject({ settled: 1, declined: 0 });
      expect(terminal.journal.payment(payment.paymentId)).toMatchObject({ status: 'settled' });
      expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_500));
    } finally {
      terminal.close();
    }
  });
});

describe.skipIf(!pgOk)(
  `two core processes on one database (${pgOk ? 'PostgreSQL' : POSTGRES_SKIP_REASON})`,
  () => {
    it('two terminals syncing at once through two core processes: no duplicate, no loss', async () => {
      const { url, drop } = await createPostgresDatabase();
      const coreDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cores-'));
      const procs: CoreProcess[] = [];
      const cores: string[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const core = await serveCoreProcess({ dataDir: coreDir, db: url });
          procs.push(core);
          cores.push(core.url);
        }
        // Operator work through one of them (both migrate the same database; the advisory lock makes that safe).
        const admin = await openTestDbFor(url);
        const { merchantId } = await admin.service.createMerchant('Two Cores');
        const wallets: string[] = [];
        for (let i = 0; i < 4; i++) wallets.push((await admin.service.createWallet(cny(30_000))).walletId);
        const terminals: { dataDir: string; terminalId: string }[] = [];
        for (let i = 0; i < 2; i++) {
          const dataDir = newDataDir();
          const { code } = await admin.service.createActivationCode(merchantId);
          const record = await activate({ dataDir, coreUrl: cores[i] as string, code, env: {} });
          // The same wallets pay at both terminals: the two cores contend for the same rows.
          await payOffline(admin, dataDir, wallets, 400);
          terminals.push({ dataDir, terminalId: record.terminalId });
        }
        // Each terminal talks to both cores in turn (a load balancer), both at once.
        const opened = terminals.map((x, i) =>
          openTerminal({
            dataDir: x.dataDir,
            create: false,
            logger: silentLog(),
            env: { SUANPAN_CORE_URL: cores[i % 2] as string },
          }),
        );
        const opened2 = terminals.map((x, i) =>
          openTerminal({
            dataDir: x.dataDir,
            create: false,
            logger: silentLog(),
            env: { SUANPAN_CORE_URL: cores[(i + 1) % 2] as string },
          }),
        );
        try {
          await Promise.all([...opened, ...opened2].map((term) => drain(term)));
          for (const [i, x] of terminals.entries()) {
            const held = await admin.service.payments({ terminalId: x.terminalId, limit: 10_000 });
            expect(held).toHaveLength(400);
            const local = opened[i] as Terminal;
            const states = new Map(
              local.journal.payments({ limit: 10_000 }).map((p) => [p.paymentId, p.status]),
            );
            for (const p of held) expect(states.get(p.paymentId)).toBe(p.state);
          }
          // 800 payments of ¥1.00 against 4 wallets of ¥300.00: exactly 800 settle, no wallet below zero.
          const all = await admin.service.payments({ limit: 10_000 });
          expect(all.filter((p) => p.state === 'settled')).toHaveLength(800);
          for (const w of wallets) expect((await admin.service.wallet(w)).balance).toEqual(cny(10_000));
          expect(await admin.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
        } finally {
          for (const o of [...opened, ...opened2]) o.close();
          await admin.close();
        }
      } finally {
        for (const p of procs) await p.stop();
        await drop();
        fs.rmSync(coreDir, { recursive: true, force: true });
      }
    }, 180_000);
  },
);

/** A CoreService on an existing PostgreSQL database, for operator work in a test. */
async function openTestDbFor(url: string) {
  const db = await openCoreDb({ url });
  await migrateCore(db);
  const service = new CoreService({ db, log: silentLog() });
  return { service, close: () => db.close() };
}

describe('offline, then online, through the suanpan command (embedded PGlite core)', () => {
  it('stores payments while the core is down; after it is back they settle, and a short wallet shows declined_after_sync', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-sync-'));
    const coreData = path.join(root, 'core-host');
    const termData = newDataDir({});
    const run = (args: string[], dataDir: string) => {
      const r = spawnSync(process.execPath, ['bin/suanpan.js', ...args, '--data-dir', dataDir, '--json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: root },
      });
      return {
        status: r.status,
        json: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').at(-1) as string) : undefined,
        stderr: r.stderr,
        stdout: r.stdout,
      };
    };
    // One address for the core, before and after its downtime.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const serve = () =>
      serveCoreProcess({ dataDir: coreData, port, env: { PATH: process.env.PATH, HOME: root } });
    try {
      let core = await serve();
      let { url } = core;
      const merchant = run(['core', 'merchant', 'create', '--name', 'Village Shop'], coreData).json
        .merchantId;
      const code = run(['core', 'activation', 'create', '--merchant', merchant], coreData).json.code;
      expect(run(['activate', '--core', url, '--code', code], termData)).toMatchObject({ status: 0 });
      const rich = run(['core', 'wallet', 'create', '--balance', '100.00'], coreData).json.walletId;
      const poor = run(['core', 'wallet', 'create', '--balance', '5.00'], coreData).json.walletId;
      const codes = [rich, rich, poor].map(
        (w) => run(['core', 'wallet', 'code', '--wallet', w], coreData).json.code,
      );
      await core.stop();

      // The core is down: payments are stored under the offline policy.
      for (const [i, c] of codes.entries()) {
        const r = run(['pay', '--amount', i === 2 ? '8.00' : '20.00', '--code', c], termData);
        expect(r.json).toMatchObject({ status: 'accepted_offline', mode: 'offline' });
      }
      // Each of those payments tried the core first: the status says offline before any sync.
      expect(run(['queue'], termData).json).toMatchObject({
        pending: 3,
        totals: { CNY: 4_800 },
        sync: { online: false, lastError: { code: 'CORE_UNREACHABLE' } },
      });
      const queueText = spawnSync(process.execPath, ['bin/suanpan.js', 'queue', '--data-dir', termData], {
        encoding: 'utf8',
      }).stdout;
      expect(queueText).toContain('OFFLINE: the core was not reached at the last attempt');
      expect(run(['sync'], termData)).toMatchObject({
        status: 1,
        json: { error: { code: 'CORE_UNREACHABLE' } },
      });
      // `suanpan queue` reads the sync status the failed attempt left: offline, no sync yet, why.
      expect(run(['queue'], termData).json).toMatchObject({
        lastSyncAt: null,
        sync: { online: false, lastSyncAt: null, lastError: { code: 'CORE_UNREACHABLE' } },
      });

      // The core comes back on the same address.
      core = await serve();
      ({ url } = core);
      const synced = run(['sync'], termData);
      expect(synced).toMatchObject({
        status: 0,
        json: { sent: 3, settled: 2, declined: 1, duplicates: 0, remaining: 0 },
      });
      const list = run(['payments'], termData);
      expect(list.json.map((p: { status: string }) => p.status)).toEqual([
        'declined_after_sync',
        'settled',
        'settled',
      ]);
      expect(list.json[0].reason).toBe('insufficient balance');
      const text = spawnSync(process.execPath, ['bin/suanpan.js', 'payments', '--data-dir', termData], {
        encoding: 'utf8',
      }).stdout;
      expect(text).toContain('DECLINED AFTER SYNC: the merchant bears this payment (insufficient balance)');
      expect(run(['core', 'wallet', 'show', '--wallet', rich], coreData).json.balance).toEqual(cny(6_000));
      expect(run(['core', 'payments'], coreData).json).toHaveLength(3);
      const after = run(['queue'], termData).json;
      expect(after).toMatchObject({
        pending: 0,
        sync: { online: true, lastError: null, parked: [] },
      });
      expect(after.sync.lastSyncAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(after.lastSyncAt).toBe(after.sync.lastSyncAt);
      await core.stop();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 300_000); // about 20 processes and a PGlite core: minutes on a loaded 2-core machine
});
