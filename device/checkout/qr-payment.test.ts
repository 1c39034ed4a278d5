/**
 * Payment by the merchant's QR against a real core (Fastify on PostgreSQL): the order is made, the
 * customer's wallet pays it (the wallet provider's side, called on the core's service), and the
 * terminal learns it by asking; or the cashier cancels, the order expires, the core is out of reach.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoreClient } from '../../sync/client/core-client.ts';
import { SyncEngine } from '../../sync/client/sync-engine.ts';
import {
  activatedTerminal,
  openTestDb,
  POSTGRES_SKIP_REASON,
  postgresAvailable,
  startTestCore,
  type TestDb,
} from '../../sync/core/testing.ts';
import { parseAmount } from '../../sync/protocol/money.ts';
import { ORDER_QR_PREFIX, ORDER_SCHEME, ORDER_VALID_S } from '../../sync/protocol/wire.ts';
import { activate } from '../activation.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import type { QrHooks } from './checkout.ts';
import type { PaymentCore } from './payment-core.ts';

const skip = !(await postgresAvailable());

let db: TestDb;
let core: Awaited<ReturnType<typeof startTestCore>>;
let dataDir: string;
let terminal: Terminal;
let client: PaymentCore;
let walletId: string;

beforeAll(async () => {
  if (skip) return;
  db = await openTestDb('postgres');
  core = await startTestCore(db.db);
});
afterAll(async () => {
  await core?.close();
  await db?.cleanup();
});
beforeEach(async () => {
  if (skip) return;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-qr-'));
  const activated = await activatedTerminal(core);
  client = activated.client;
  terminal = openTerminal({ dataDir, create: true, logger: pino({ level: 'silent' }), core: client });
  ({ walletId } = await core.service.createWallet({ minor: 10_000, currency: 'CNY' }));
});
afterEach(() => {
  terminal?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const balance = async () => (await core.service.wallet(walletId)).balance.minor;
const fast = { pollMs: 20 } satisfies Partial<QrHooks>;

describe.skipIf(skip)(`checkout by the merchant's QR (${skip ? POSTGRES_SKIP_REASON : 'PostgreSQL'})`, () => {
  it('shows the order, and records the payment approved once the wallet has paid it', async () => {
    const shown: Parameters<QrHooks['onOrder']>[0][] = [];
    const { payment } = await terminal.checkout.presentQr(
      { amount: parseAmount('12.50') },
      {
        ...fast,
        onOrder: (order) => {
          shown.push(order);
          // The customer scans and pays a moment later, while the kiosk asks.
          setTimeout(() => void core.service.payOrder(walletId, order.paymentId), 60);
        },
      },
    );
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(`${ORDER_QR_PREFIX}${payment.paymentId}`);
    expect(Date.parse(shown[0]?.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(payment).toMatchObject({
      status: 'approved',
      mode: 'online',
      scheme: ORDER_SCHEME,
      codeMasked: 'QR',
      amount: { minor: 1250, currency: 'CNY' },
    });
    expect(terminal.journal.payment(payment.paymentId)?.status).toBe('approved');
    expect(await balance()).toBe(10_000 - 1250);
    // The next payment by code follows on the next seq: the order took one, as any payment does.
    const next = await terminal.checkout.presentQr(
      { amount: parseAmount('1.00') },
      { ...fast, waitMs: 100, onOrder: () => {} },
    );
    expect(next.payment.seq).toBe(payment.seq + 1);
  });

  it('cancels the order at the core when the cashier cancels: declined, nothing charged, no late payment', async () => {
    const cashier = new AbortController();
    let orderId = '';
    const { payment } = await terminal.checkout.presentQr(
      { amount: parseAmount('8.00') },
      {
        ...fast,
        signal: cashier.signal,
        onOrder: (order) => {
          orderId = order.paymentId;
          setTimeout(() => cashier.abort(), 50);
        },
      },
    );
    expect(payment.paymentId).toBe(orderId);
    expect(payment.status).toBe('declined');
    expect(payment.reason).toContain('cancelled at the till');
    expect(await client.query(orderId)).toMatchObject({ state: 'cancelled' });
    await expect(core.service.payOrder(walletId, orderId)).rejects.toMatchObject({
      code: 'ORDER_NOT_PENDING',
    });
    expect(await balance()).toBe(10_000);
  });

  it('paid at the very moment the cashier cancels: the core reverses it, and it is recorded declined', async () => {
    const cashier = new AbortController();
    const { payment } = await terminal.checkout.presentQr(
      { amount: parseAmount('20.00') },
      {
        pollMs: 60_000, // no query gets in first: the cancel finds it paid
        signal: cashier.signal,
        onOrder: (order) => {
          void core.service.payOrder(walletId, order.paymentId).then(() => cashier.abort());
        },
      },
    );
    expect(payment.status).toBe('declined');
    expect(await balance()).toBe(10_000);
    expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
  });

  it('gives up after the wait with the order cancelled, when the customer never pays', async () => {
    const { payment } = await terminal.checkout.presentQr(
      { amount: parseAmount('3.00') },
      { ...fast, waitMs: 1_500, onOrder: () => {} },
    );
    expect(payment.status).toBe('declined');
    expect(payment.reason).toBe('the customer did not pay within 2 s');
    expect(await client.query(payment.paymentId)).toMatchObject({ state: 'cancelled' });
  });
});

describe.skipIf(skip)(
  `a QR order left behind by a kiosk stopped mid-wait (${skip ? POSTGRES_SKIP_REASON : 'PostgreSQL'})`,
  () => {
    it("is left to the customer for the order's life, then the sync cancels it", async () => {
      let now = Date.now();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-qr-'));
      const { merchantId } = await core.service.createMerchant('Shop');
      const { code } = await core.service.createActivationCode(merchantId);
      await activate({ dataDir: dir, coreUrl: core.url, code, env: {} });
      const t = openTerminal({
        dataDir: dir,
        create: false,
        logger: pino({ level: 'silent' }),
        env: {},
        now: () => new Date(now),
      });
      const ownClient = t.coreClient as CoreClient;
      try {
        const token = 'qr-left-behind';
        const captured = t.journal.capture({
          amount: { minor: 700, currency: 'CNY' },
          scheme: ORDER_SCHEME,
          code: token,
          codeHash: t.key.digestCode(token),
          codeMasked: 'QR',
        });
        const { seq, amount, scheme, capturedAt } = captured;
        const codeHash = t.key.digestCode(token).toString('hex');
        await ownClient.createOrder({
          paymentId: captured.paymentId,
          seq,
          amount,
          scheme,
          codeHash,
          capturedAt,
        });
        const engine = new SyncEngine({
          journal: t.journal,
          client: ownClient,
          log: pino({ level: 'silent' }),
          softwareVersion: 'test',
          inFlightMs: 15_000,
          now: () => new Date(now),
        });
        // Past the minute after which a payment by code is cancelled, within the order's two: the
        // customer may still pay.
        now += 70_000;
        expect((await engine.syncNow()).resolved).toBe(0);
        expect(await ownClient.query(captured.paymentId)).toMatchObject({ state: 'pending' });
        now += ORDER_VALID_S * 1000;
        expect((await engine.syncNow()).resolved).toBe(1);
        expect(t.journal.payment(captured.paymentId)?.status).toBe('declined');
        expect(await ownClient.query(captured.paymentId)).toMatchObject({ state: 'cancelled' });
      } finally {
        t.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe('checkout by QR with the core out of reach', () => {
  it('is declined at once, saying to scan the code instead; the seq is used, nothing waits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-qr-'));
    const { CoreClient } = await import('../../sync/client/core-client.ts');
    const crypto = await import('node:crypto');
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    // Port 9 (discard) is closed on loopback: the connection is refused, nothing reaches a core.
    const away = new CoreClient({
      baseUrl: 'http://127.0.0.1:9',
      terminalId: 'sp-0000000000000000',
      sign: (d) => crypto.sign(null, d, privateKey),
    });
    const t = openTerminal({ dataDir: dir, create: true, logger: pino({ level: 'silent' }), core: away });
    try {
      let shown = false;
      const { payment } = await t.checkout.presentQr(
        { amount: parseAmount('5.00') },
        { onOrder: () => (shown = true) },
      );
      expect(shown).toBe(false);
      expect(payment).toMatchObject({ status: 'declined', mode: 'online', seq: 1 });
      expect(payment.reason).toContain("scan the customer's payment code instead");
    } finally {
      away.close();
      t.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
