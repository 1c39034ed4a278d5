/**
 * The demo as a newcomer uses it, in process: the core on PGlite, the simulated printer and
 * scanner, the host with the demo page. A wallet code presented to the scanner pays online and the
 * receipt is drawn to a PNG; the merchant's QR shown by the kiosk is offered on the wallet page and
 * paid from it; with the core stopped the next payment is stored offline, and after the core is
 * back the sync settles it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_QR_PREFIX } from '../../sync/protocol/wire.ts';
import { PTY_SKIP_REASON, SKIP_PTY } from '../../test-hardware/pty.ts';
import type { RunningHost } from '../host/host.ts';
import { startHost } from '../host/host.ts';
import { request } from '../host/test-client.ts';
import { silentLogger } from '../log.ts';
import { hostShownQr, orderOf, registerDemoRoutes, shownQr } from './demo-routes.ts';
import { type DemoWorld, startDemoWorld } from './demo-world.ts';

let dataDir: string;
let world: DemoWorld;
let host: RunningHost;

beforeAll(async () => {
  if (SKIP_PTY) return;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-demo-test-'));
  const log = silentLogger();
  world = await startDemoWorld({ dataDir, log });
  host = await startHost({
    dataDir,
    env: {},
    port: 0,
    log,
    extraRoutes: (app, guards) =>
      registerDemoRoutes(app, world, { ...guards, currentQr: hostShownQr(() => host) }),
  });
});
afterAll(async () => {
  await host?.close();
  await world?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`waited for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the QR order the wallet page offers', () => {
  const paymentId = '6f1c2a9e-3b4d-4c8e-9a1f-2d3e4f5a6b7c';
  const amount = { minor: 1250, currency: 'CNY' };
  const qr = { text: `${ORDER_QR_PREFIX}${paymentId}`, expiresAt: '2030-01-01T10:02:00.000Z' };

  it('is the order of the QR the checkout shows, and only while it shows it', () => {
    const showing = { checkoutId: 'c', amount, phase: 'showing_qr', qr } as const;
    expect(orderOf(shownQr(showing))).toEqual({ paymentId, amount });
    expect(shownQr({ ...showing, phase: 'working' })).toBeNull();
    expect(shownQr({ checkoutId: 'c', amount, phase: 'waiting_code' })).toBeNull();
    expect(shownQr(null)).toBeNull();
  });

  it('is none for a QR that does not name an order', () => {
    expect(orderOf({ text: 'https://example.com/pay', amount })).toBeNull();
    expect(orderOf({ text: `${ORDER_QR_PREFIX}not-a-uuid`, amount })).toBeNull();
    expect(orderOf(null)).toBeNull();
  });
});

describe.skipIf(SKIP_PTY)(`suanpan demo (${PTY_SKIP_REASON})`, () => {
  const api = (target: string, options: Parameters<typeof request>[1] = {}) =>
    request(`${host.url}${target}`, { token: host.token, ...options });
  const checkout = () =>
    until(
      () => api('/api/checkout'),
      (a) => a.json?.phase === 'done' || a.json?.phase === 'failed',
      'the checkout to finish',
    );

  it('serves the demo wallet page without the token and its data with it', async () => {
    const page = await request(`${host.url}/demo/wallet`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('/demo/wallet.js');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await request(`${host.url}/demo/api/wallet`)).status).toBe(401);
    const wallet = await api('/demo/api/wallet');
    expect(wallet.json).toMatchObject({ core: 'running', balance: { minor: 50_000, currency: 'CNY' } });
    expect(wallet.json.code).toMatch(/^28[0-9]{16}$/);
    expect(wallet.json.qrSvg).toContain('<svg');
  });

  it('a presented wallet code pays online and the receipt is drawn', async () => {
    expect((await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } })).status).toBe(202);
    const { code } = (await api('/demo/api/wallet')).json;
    expect((await api('/demo/api/present', { method: 'POST', body: { code } })).status).toBe(200);
    const done = await checkout();
    expect(done.json.payment).toMatchObject({ status: 'approved', mode: 'online', scheme: 'demo' });
    const receipt = await until(
      () => api('/api/checkout'),
      (a) => a.json?.receipt !== undefined,
      'the receipt',
    );
    // On a loaded machine the printer's status answer can miss its 500 ms: then the receipt waits in
    // the print queue and the background spooler prints it a moment later. Either way it is drawn.
    expect(receipt.json.receipt.printed || receipt.json.receipt.problem).toBeTruthy();
    await until(
      async () => fs.readdirSync(world.receiptsDir).filter((f) => f.endsWith('.png')),
      (files) => files.length >= 1,
      'the receipt picture',
    );
    expect((await api('/demo/api/wallet')).json.balance.minor).toBe(50_000 - 1250);
  });

  it("the kiosk's QR is offered on the wallet page and paid from it, once", async () => {
    expect((await api('/demo/api/order')).json).toEqual({ order: null });
    expect((await api('/api/checkout', { method: 'POST', body: { amount: '3.20' } })).status).toBe(202);
    expect((await api('/api/checkout/qr', { method: 'POST' })).status).toBe(202);
    const showing = await until(
      () => api('/api/checkout'),
      (a) => a.json?.phase === 'showing_qr',
      'the QR to show',
    );
    const paymentId = String(showing.json.qr.text).slice(ORDER_QR_PREFIX.length);
    const order = { paymentId, amount: { minor: 320, currency: 'CNY' } };
    expect((await api('/demo/api/order')).json).toEqual({ order });
    expect((await api('/demo/api/wallet')).json.order).toEqual(order);
    const balance = (await api('/demo/api/wallet')).json.balance.minor;

    const paid = await api('/demo/api/pay-order', { method: 'POST', body: { paymentId } });
    expect(paid.status).toBe(200);
    expect(paid.json).toEqual({ paid: true, ...order });
    const done = await checkout();
    expect(done.json.payment).toMatchObject({ paymentId, status: 'approved', scheme: 'merchant_qr' });
    expect((await api('/demo/api/wallet')).json).toMatchObject({
      balance: { minor: balance - 320 },
      order: null,
    });

    // Paid once: a second try is refused in words, as is an order the core never made.
    const again = await api('/demo/api/pay-order', { method: 'POST', body: { paymentId } });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'ORDER_NOT_PENDING' });
    expect(again.json.error.message).toContain('This order can no longer be paid');
    const unknown = await api('/demo/api/pay-order', {
      method: 'POST',
      body: { paymentId: '6f1c2a9e-3b4d-4c8e-9a1f-2d3e4f5a6b7c' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
    const bad = await api('/demo/api/pay-order', { method: 'POST', body: { paymentId: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('paymentId');
  });

  it('with the core stopped the next payment is stored offline, and settled once it is back', async () => {
    const { code } = (await api('/demo/api/wallet')).json;
    expect((await api('/demo/api/core/stop', { method: 'POST' })).json).toEqual({ core: 'stopped' });
    await api('/api/checkout', { method: 'POST', body: { amount: '8.00' } });
    await api('/demo/api/present', { method: 'POST', body: { code } });
    const done = await checkout();
    expect(done.json.payment).toMatchObject({ status: 'accepted_offline', mode: 'offline' });
    const status = await api('/api/status');
    expect(status.json.queue.pending).toBe(1);
    expect((await api('/demo/api/core/start', { method: 'POST' })).json).toEqual({ core: 'running' });
    await host.terminal.journal; // the background sync forwards it
    const settled = await until(
      () => api('/api/payments?limit=5'),
      (a) => a.json?.payments?.[0]?.status === 'settled',
      'the offline payment to settle',
    );
    expect(settled.json.payments[0].paymentId).toBe(done.json.payment.paymentId);
  });
});

describe('suanpan demo without socat', () => {
  it('runs without a simulated serial scanner: "Present" hands the code to the kiosk directly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-demo-nosocat-'));
    const log = silentLogger();
    const path0 = process.env.PATH;
    let bare: DemoWorld | undefined;
    let bareHost: RunningHost | undefined;
    try {
      process.env.PATH = ''; // socat is not found
      try {
        bare = await startDemoWorld({ dataDir: dir, log });
      } finally {
        process.env.PATH = path0;
      }
      expect(bare.simulatedScanner).toBe(false);
      const world = bare;
      bareHost = await startHost({
        dataDir: dir,
        env: {},
        port: 0,
        log,
        extraRoutes: (app, guards) =>
          registerDemoRoutes(app, world, {
            ...guards,
            currentQr: hostShownQr(() => bareHost as RunningHost),
          }),
      });
      const running = bareHost;
      world.presentWith((code) => running.feedScan(code, 'demo wallet'));
      const api = (target: string, options: Parameters<typeof request>[1] = {}) =>
        request(`${running.url}${target}`, { token: running.token, ...options });
      expect((await api('/api/checkout', { method: 'POST', body: { amount: '2.00' } })).status).toBe(202);
      const { code } = (await api('/demo/api/wallet')).json;
      expect((await api('/demo/api/present', { method: 'POST', body: { code } })).status).toBe(200);
      const done = await until(
        () => api('/api/checkout'),
        (a) => a.json?.phase === 'done' || a.json?.phase === 'failed',
        'the checkout to finish',
      );
      expect(done.json.payment).toMatchObject({ status: 'approved', mode: 'online', scheme: 'demo' });
    } finally {
      await bareHost?.close();
      await bare?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
