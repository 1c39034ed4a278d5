/**
 * The second slice against a real core (Fastify on PGlite, one for the whole file: it is slow to
 * start): activation from the technician screen and the host picking the new core up in place, a
 * void with the supervisor PIN reversed at the core, a refund sent to the operator, and "sync now"
 * with its progress events.
 */
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, startTestCore, type TestDb } from '../../sync/core/testing.ts';
import type { HostEvent } from './api-schema.ts';
import { KIOSK_PINS, SUPERVISOR_PIN, TestHost } from './test-host.ts';

let db: TestDb;
let core: Awaited<ReturnType<typeof startTestCore>>;
let t: TestHost;

beforeAll(async () => {
  db = await openTestDb('pglite');
  core = await startTestCore(db.db);
}, 120_000);
afterAll(async () => {
  await core?.close();
  await db?.cleanup();
});
beforeEach(() => {
  t = new TestHost().settings(KIOSK_PINS);
});
afterEach(() => t.close());

/** A merchant at the core and a one-time code to activate a terminal for it. */
async function activationCode(name: string): Promise<string> {
  const { merchantId } = await core.service.createMerchant(name);
  return (await core.service.createActivationCode(merchantId)).code;
}

async function walletWith(minor: number) {
  const { walletId } = await core.service.createWallet({ minor, currency: 'CNY' });
  return {
    walletId,
    code: async () => (await core.service.issueWalletCode(walletId)).code,
    balance: async () => (await core.service.wallet(walletId)).balance.minor,
  };
}

/** Starts the host and activates it at the core from the technician screen. */
async function startActivated(merchantName: string) {
  await t.start();
  const sessionId = await t.openSession();
  const activated = await t.technician('/api/technician/activate', sessionId, {
    method: 'POST',
    body: { core: core.url, code: await activationCode(merchantName) },
  });
  expect(activated.status).toBe(200);
}

/** The host's terminal as the core holds it, for acting at the core behind the terminal's back. */
async function coreTerminal() {
  const admitted = await core.service.admit(t.host.terminal.key.terminalId, crypto.randomUUID(), 0);
  if (!admitted) throw new Error('the terminal is not activated at the core');
  return admitted.terminal;
}

const isSync = (e: HostEvent): e is Extract<HostEvent, { type: 'sync' }> => e.type === 'sync';

describe('with a core', () => {
  it('activates from the technician screen, pays online at once, voids with the PIN at the core', async () => {
    await t.start();
    const client = await t.events();
    const sessionId = await t.openSession();
    const code = await activationCode('张记小吃店');
    const activated = await t.technician('/api/technician/activate', sessionId, {
      method: 'POST',
      body: { core: core.url, code },
    });
    expect(activated.status).toBe(200);
    expect(activated.json).toEqual({ activated: true, merchantName: '张记小吃店' });
    // The host restarted its terminal services on the new core: no restart of the host needed.
    expect(t.host.terminal.coreClient?.baseUrl).toBe(core.url);
    await client.next((e) => e.type === 'status' && e.status.online.reachable === true);
    expect((await t.api('/api/status')).json).toMatchObject({
      terminal: { merchantName: '张记小吃店' },
      activation: { activated: true, coreUrl: core.url },
      online: { configured: true },
    });
    // The session outlives the restart.
    const overview = await t.technician('/api/technician/overview', sessionId);
    expect(overview.json.activation).toEqual({
      activated: true,
      coreUrl: core.url,
      merchantName: '张记小吃店',
    });
    expect(['idle', 'syncing', 'waiting']).toContain(overview.json.sync.state);

    const wallet = await walletWith(10_000);
    const payment = await t.pay('12.50', await wallet.code());
    expect(payment).toMatchObject({ status: 'approved', mode: 'online' });
    expect(await wallet.balance()).toBe(10_000 - 1250);

    const wrong = await t.api(`/api/payments/${payment.paymentId}/void`, {
      method: 'POST',
      body: { pin: '9999' },
    });
    expect(wrong.status).toBe(403);
    expect(await wallet.balance()).toBe(10_000 - 1250);

    const voided = await t.api(`/api/payments/${payment.paymentId}/void`, {
      method: 'POST',
      body: { pin: SUPERVISOR_PIN },
    });
    expect(voided.status).toBe(200);
    expect(voided.json.payment).toMatchObject({
      paymentId: payment.paymentId,
      status: 'voided',
      mode: 'online',
    });
    // Reversed at the core: the money is back in the wallet.
    expect(await wallet.balance()).toBe(10_000);
    await client.next((e) => e.type === 'payment' && e.payment.status === 'voided');
    expect(t.host.terminal.journal.payment(payment.paymentId)?.status).toBe('voided');

    const again = await t.api(`/api/payments/${payment.paymentId}/void`, {
      method: 'POST',
      body: { pin: SUPERVISOR_PIN },
    });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: '这笔交易已撤销。' });
    expect(await wallet.balance()).toBe(10_000);

    // A refund goes to the core too: the wallet is paid back, then the journal says refunded.
    const second = await t.pay('8.00', await wallet.code());
    expect(second).toMatchObject({ status: 'approved' });
    expect(await wallet.balance()).toBe(10_000 - 800);
    const refunded = await t.api(`/api/payments/${second.paymentId}/refund`, {
      method: 'POST',
      body: { pin: SUPERVISOR_PIN },
    });
    expect(refunded.status).toBe(200);
    expect(refunded.json.payment).toMatchObject({ paymentId: second.paymentId, status: 'refunded' });
    expect(await wallet.balance()).toBe(10_000);
    const atCore = await core.service.query(await coreTerminal(), second.paymentId);
    expect(atCore.state).toBe('refunded');
    const twice = await t.api(`/api/payments/${second.paymentId}/refund`, {
      method: 'POST',
      body: { pin: SUPERVISOR_PIN },
    });
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('ILLEGAL_TRANSITION');
    expect(await wallet.balance()).toBe(10_000);
  });

  it('records no refund the core refuses; one the core had done already is recorded once', async () => {
    await startActivated('李记面馆');
    const terminal = await coreTerminal();
    const wallet = await walletWith(5_000);
    const refund = (paymentId: string) =>
      t.api(`/api/payments/${paymentId}/refund`, { method: 'POST', body: { pin: SUPERVISOR_PIN } });

    // Reversed at the core behind the terminal's back: the core refuses the refund, nothing is recorded.
    const reversed = await t.pay('10.00', await wallet.code());
    const stored = t.host.terminal.journal.storedPayment(reversed.paymentId);
    if (!stored) throw new Error('the payment is not in the journal');
    const { seq, amount, scheme, codeHash, capturedAt } = stored;
    await core.service.cancel(terminal, reversed.paymentId, { seq, amount, scheme, codeHash, capturedAt });
    const refused = await refund(reversed.paymentId);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('CORE_REFUSED');
    expect(refused.json.error.detail).toContain('NOT_REFUNDABLE');
    expect(t.host.terminal.journal.payment(reversed.paymentId)?.status).toBe('approved');

    // Refunded at the core already (its answer lost): the refund is recorded, the money paid back once.
    const paid = await t.pay('20.00', await wallet.code());
    await core.service.refund(terminal, paid.paymentId, { amount: paid.amount });
    const balance = await wallet.balance();
    const recorded = await refund(paid.paymentId);
    expect(recorded.status).toBe(200);
    expect(recorded.json.payment.status).toBe('refunded');
    expect(await wallet.balance()).toBe(balance);
  });

  it("shows the merchant's QR; paid by the wallet it ends approved; a cancelled one ends declined", async () => {
    await startActivated('王记茶铺');
    const client = await t.events();
    const wallet = await walletWith(5_000);
    const isCheckout = (id: string, phase: string) => (e: HostEvent) =>
      e.type === 'checkout' && e.checkout.checkoutId === id && e.checkout.phase === phase;
    const checkoutOf = (e: HostEvent) => (e as Extract<HostEvent, { type: 'checkout' }>).checkout;

    // Paid: the QR shows, the customer's wallet pays the order, the result arrives from the core.
    const started = await t.api('/api/checkout', { method: 'POST', body: { amount: '18.00' } });
    const id = started.json.checkoutId as string;
    const switched = await t.api('/api/checkout/qr', { method: 'POST' });
    expect(switched.status).toBe(202);
    const showing = checkoutOf(await client.next(isCheckout(id, 'showing_qr')));
    expect(showing.qr?.text).toMatch(/^suanpan:\/\/order\/[0-9a-f-]{36}$/);
    const orderId = (showing.qr?.text ?? '').split('/').at(-1) as string;
    // A code typed now is not this payment's: the scan desk no longer waits.
    const late = await t.api('/api/checkout/code', { method: 'POST', body: { code: await wallet.code() } });
    expect(late.status).toBe(409);
    await core.service.payOrder(wallet.walletId, orderId);
    const done = checkoutOf(await client.next(isCheckout(id, 'done')));
    expect(done.payment).toMatchObject({
      paymentId: orderId,
      status: 'approved',
      mode: 'online',
      scheme: 'merchant_qr',
    });
    expect(await wallet.balance()).toBe(5_000 - 1800);

    // Cancelled by the cashier while the QR shows: cancelled at the core, recorded declined.
    const second = await t.api('/api/checkout', { method: 'POST', body: { amount: '6.00' } });
    const id2 = second.json.checkoutId as string;
    await t.api('/api/checkout/qr', { method: 'POST' });
    const shown = checkoutOf(await client.next(isCheckout(id2, 'showing_qr')));
    const cancelling = await t.api('/api/checkout', { method: 'DELETE' });
    expect(cancelling.json.phase).toBe('working');
    const cancelled = checkoutOf(await client.next(isCheckout(id2, 'cancelled')));
    expect(cancelled.payment).toMatchObject({ status: 'declined', mode: 'online' });
    const orderId2 = (shown.qr?.text ?? '').split('/').at(-1) as string;
    await expect(core.service.payOrder(wallet.walletId, orderId2)).rejects.toMatchObject({
      code: 'ORDER_NOT_PENDING',
    });
    expect(await wallet.balance()).toBe(5_000 - 1800);
  });

  it('"sync now" sends what was stored offline, with progress events ending in done', async () => {
    // Offline payments before activation, and no background sync: this sync is the technician's.
    await t.start({ backgroundSync: false });
    const wallet = await walletWith(10_000);
    const stored = [];
    for (const amount of ['1.00', '2.00', '3.00']) stored.push(await t.pay(amount, await wallet.code()));
    expect(stored.map((p) => p.status)).toEqual(['accepted_offline', 'accepted_offline', 'accepted_offline']);

    const sessionId = await t.openSession();
    const activated = await t.technician('/api/technician/activate', sessionId, {
      method: 'POST',
      body: { core: core.url, code: await activationCode('李家早餐') },
    });
    expect(activated.status).toBe(200);
    const client = await t.events();
    const started = await t.technician('/api/technician/sync', sessionId, { method: 'POST' });
    expect(started.status).toBe(202);
    const done = await client.next(
      (e): e is Extract<HostEvent, { type: 'sync' }> => isSync(e) && e.progress.done,
    );
    expect(done.progress).toEqual({ sent: 3, total: 3, done: true });
    const progress = client.events.filter(isSync).map((e) => e.progress);
    expect(progress[0]).toEqual({ sent: 0, total: 3, done: false });
    expect(progress.at(-1)).toEqual(done.progress);
    expect(progress.filter((p) => p.done)).toHaveLength(1);
    // Sent counts only grow.
    expect(progress.map((p) => p.sent)).toEqual([...progress.map((p) => p.sent)].sort((a, b) => a - b));

    expect(await wallet.balance()).toBe(10_000 - 600);
    expect((await t.api('/api/status')).json.queue.pending).toBe(0);
    const settled = stored[0] as (typeof stored)[number];
    expect(t.host.terminal.journal.payment(settled.paymentId)?.status).toBe('settled');

    // Settled through the offline path today: the core reverses it (¥1.00 back), and the void is recorded.
    const voided = await t.api(`/api/payments/${settled.paymentId}/void`, {
      method: 'POST',
      body: { pin: SUPERVISOR_PIN },
    });
    expect(voided.status).toBe(200);
    expect(t.host.terminal.journal.payment(settled.paymentId)?.status).toBe('voided');
    expect(await wallet.balance()).toBe(10_000 - 600 + 100);
  });
});
