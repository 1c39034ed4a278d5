/**
 * The host's local API over real sockets on 127.0.0.1: its guards (token, origin, host, loopback
 * only, CSP), and a checkout end to end on a real journal, seen through HTTP and the WebSocket.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, startTestCore, type TestDb } from '../../sync/core/testing.ts';
import { acceptedAmountForm } from '../../sync/protocol/money.ts';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { activate } from '../activation.ts';
import { silentLogger } from '../log.ts';
import { SOFTWARE_VERSION } from '../version.ts';
import { ApiError, type CheckoutState, type HostEvent, WS_PROTOCOL } from './api-schema.ts';
import { HostError } from './errors.ts';
import { type HostOptions, type RunningHost, startHost } from './host.ts';
import { EventClient, refusedUpgrade, request, tokenProtocols } from './test-client.ts';

const CODE = '281234567890123456';
const OTHER_CODE = '281234567890123457';

let dataDir: string;
let host: RunningHost;
const clients: EventClient[] = [];

async function start(options: Partial<HostOptions> = {}): Promise<RunningHost> {
  host = await startHost({
    dataDir,
    env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true' },
    port: 0,
    log: silentLogger(),
    webRoot: path.join(dataDir, 'no-web'),
    ...options,
  });
  return host;
}

async function events(options: { origin?: string } = {}): Promise<EventClient> {
  const client = await EventClient.connect(host.url, host.token, options);
  clients.push(client);
  return client;
}

const api = (urlPath: string, options: Parameters<typeof request>[1] = {}) =>
  request(`${host.url}${urlPath}`, { token: host.token, ...options });

const isCheckout =
  (phase: CheckoutState['phase']) =>
  (e: HostEvent): e is Extract<HostEvent, { type: 'checkout' }> =>
    e.type === 'checkout' && e.checkout.phase === phase;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-host-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await host?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('API security', () => {
  beforeEach(() => start());

  it('refuses a request without the token, or with a wrong one, with 401 and an ApiError', async () => {
    // The right token with its last character changed (to one it isn't: base64url, so 1 in 64 ends in A).
    const offByOne = `${host.token.slice(0, -1)}${host.token.endsWith('A') ? 'B' : 'A'}`;
    for (const token of [undefined, 'not-the-token', offByOne, '']) {
      const r = await request(`${host.url}/api/status`, token === undefined ? {} : { token });
      expect(r.status, String(token)).toBe(401);
      expect(ApiError.parse(r.json).error.code).toBe('UNAUTHENTICATED');
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const wrongScheme = await request(`${host.url}/api/status`, {
      headers: { authorization: `Basic ${host.token}` },
    });
    expect(wrongScheme.status).toBe(401);
    // Every route under /api, whatever the method.
    for (const [method, p] of [
      ['POST', '/api/checkout'],
      ['DELETE', '/api/checkout'],
      ['GET', '/api/payments'],
      ['GET', '/api/events'],
      ['GET', '/api/nothing-here'],
    ] as const) {
      expect((await request(`${host.url}${p}`, { method, body: {} })).status, `${method} ${p}`).toBe(401);
    }
    expect((await api('/api/status')).status).toBe(200);
  });

  it('guards the route the router finds, however its path is written', async () => {
    // Each of these reaches an /api route (or none): none may answer without the token.
    for (const p of ['/%61pi/status', '/api/%73tatus', '/./api/status', '/x/../api/status', '/api/status/']) {
      const r = await request(`${host.url}${p}`);
      expect(r.status, p).not.toBe(200);
      expect(r.text, p).not.toContain(host.terminal.key.terminalId);
    }
    expect((await request(`${host.url}/%61pi/status`)).status).toBe(401);
    expect((await api('/%61pi/status')).status).toBe(200);
  });

  it('answers /healthz without a token', async () => {
    const r = await request(`${host.url}/healthz`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, version: SOFTWARE_VERSION, terminalId: host.terminal.key.terminalId });
  });

  it('refuses any other Origin with 403, even with the token; its own origin passes', async () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost:7420',
      `http://127.0.0.1:${new URL(host.url).port}0`,
      `https://127.0.0.1:${new URL(host.url).port}`,
      'null',
    ]) {
      const r = await api('/api/status', { origin });
      expect(r.status, origin).toBe(403);
      expect(ApiError.parse(r.json).error.code).toBe('FORBIDDEN_ORIGIN');
      expect((await request(`${host.url}/healthz`, { origin })).status).toBe(403);
    }
    expect((await api('/api/status', { origin: host.url })).status).toBe(200);
  });

  it('refuses a Host other than 127.0.0.1:PORT (DNS rebinding) with 403', async () => {
    const port = new URL(host.url).port;
    for (const h of [`evil.example:${port}`, `localhost:${port}`, '127.0.0.1']) {
      const r = await api('/healthz', { host: h });
      expect(r.status, h).toBe(403);
      expect(r.json.error.code).toBe('WRONG_HOST');
    }
  });

  it('guards the WebSocket the same way: token subprotocol, and the origin', async () => {
    expect(await refusedUpgrade(host.url, [WS_PROTOCOL])).toBe(401);
    expect(await refusedUpgrade(host.url, tokenProtocols('wrong'))).toBe(401);
    // The token alone, without the protocol it belongs to, is not accepted.
    expect(await refusedUpgrade(host.url, [`token.${host.token}`])).toBe(401);
    expect(
      await refusedUpgrade(host.url, tokenProtocols(host.token), { origin: 'http://evil.example' }),
    ).toBe(403);
    const client = await events({ origin: host.url });
    // Only suanpan.v1 is echoed: the token never comes back in a header.
    expect(client.socket.protocol).toBe(WS_PROTOCOL);
    const hello = await client.next((e) => e.type === 'hello');
    expect(hello).toMatchObject({
      type: 'hello',
      status: { terminal: { terminalId: host.terminal.key.terminalId } },
    });
  });

  it('closes the socket of a refused upgrade itself, so a client that holds it open holds nothing', async () => {
    const port = Number(new URL(host.url).port);
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += String(chunk);
    });
    const closedByHost = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      [
        'GET /api/events HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        `Sec-WebSocket-Protocol: ${WS_PROTOCOL}, token.wrong`,
        '',
        '',
      ].join('\r\n'),
    );
    await closedByHost;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('sets a strict Content-Security-Policy and the other headers on every answer', async () => {
    const port = new URL(host.url).port;
    for (const r of [
      await request(`${host.url}/healthz`),
      await api('/api/status'),
      await request(`${host.url}/api/status`),
      await request(`${host.url}/`),
      await request(`${host.url}/no-such-file.js`),
      await api('/api/status', { origin: 'http://evil.example' }),
    ]) {
      const csp = String(r.headers['content-security-policy']);
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')] as const;
        }),
      );
      expect(directives.get('default-src')).toBe("'self'");
      expect(directives.get('script-src')).toBe("'self'");
      expect(directives.get('style-src')).toBe("'self'");
      expect(directives.get('img-src')).toBe("'self' data: blob:");
      expect(directives.get('connect-src')).toBe(`'self' ws://127.0.0.1:${port}`);
      expect(directives.get('object-src')).toBe("'none'");
      expect(directives.get('base-uri')).toBe("'none'");
      expect(directives.get('frame-ancestors')).toBe("'none'");
      expect(directives.get('form-action')).toBe("'none'");
      expect(csp).not.toContain('unsafe');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await api('/api/status')).headers['cache-control']).toBe('no-store');
    expect((await request(`${host.url}/api/status`)).headers['cache-control']).toBe('no-store');
  });

  it('is not reachable on any address but 127.0.0.1', async () => {
    const port = Number(new URL(host.url).port);
    const connects = (address: string) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: address, port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    const others = Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) =>
      (addresses ?? [])
        .filter((a) => a.address !== '127.0.0.1')
        // A link-local IPv6 address is reached through its interface.
        .map((a) =>
          a.family === 'IPv6' && a.address.startsWith('fe80:') ? `${a.address}%${name}` : a.address,
        ),
    );
    // Other loopback addresses too: 127.0.0.2 reaches a socket bound to 0.0.0.0, not one on 127.0.0.1.
    for (const address of [...others, '127.0.0.2', '::1']) {
      expect(await connects(address), address).toBe(false);
    }
    expect(await connects('127.0.0.1')).toBe(true);
  });

  it('refuses to start on any other address, before touching the data folder', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-host-refused-'));
    try {
      for (const address of ['0.0.0.0', '::', 'localhost', '192.0.2.2', '127.0.0.2']) {
        const attempt = startHost({ dataDir: empty, env: {}, host: address, port: 0, log: silentLogger() });
        await expect(attempt, address).rejects.toBeInstanceOf(HostError);
        await expect(attempt).rejects.toMatchObject({ code: 'NOT_LOOPBACK' });
      }
      expect(fs.readdirSync(empty)).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('status', () => {
  beforeEach(() => start());

  it('says which terminal, whether it is activated and online, the offline queue and the devices', async () => {
    const r = await api('/api/status');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      terminal: {
        terminalId: host.terminal.key.terminalId,
        version: SOFTWARE_VERSION,
        locale: 'zh-CN',
        merchantName: null,
        currency: 'CNY',
      },
      activation: { activated: false, coreUrl: null },
      online: { configured: false, reachable: null, syncing: false, lastSyncAt: null, lastError: null },
      queue: {
        pending: 0,
        totals: {},
        oldestCapturedAt: null,
        limits: {
          perPayment: { minor: 20_000, currency: 'CNY' },
          totalStored: { minor: 200_000, currency: 'CNY' },
          maxStoredCount: 200,
          maxHoursSinceSync: 72,
        },
        remaining: {
          nextPaymentMax: { minor: 20_000, currency: 'CNY' },
          totalStored: { minor: 200_000, currency: 'CNY' },
          storedCount: 200,
          syncDueBy: expect.any(String),
          hoursLeft: expect.any(Number),
          clockBehind: false,
          forwardingBlocked: null,
        },
      },
      devices: { printer: { uri: null, state: 'none', waiting: 0 }, scanners: [] },
    });
  });
});

describe('checkout', () => {
  beforeEach(() => start());

  it('takes a payment: amount, then the code typed by the cashier; events on the socket; queue after', async () => {
    const client = await events();
    expect((await api('/api/checkout')).status).toBe(204);

    const started = await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ phase: 'waiting_code', amount: { minor: 1250, currency: 'CNY' } });
    const { checkoutId } = started.json as CheckoutState;
    expect((await api('/api/checkout')).json).toMatchObject({ checkoutId, phase: 'waiting_code' });

    const entered = await api('/api/checkout/code', { method: 'POST', body: { code: CODE } });
    expect(entered.status).toBe(202);
    expect(entered.json).toMatchObject({ checkoutId, phase: 'working' });

    const done = await client.next(isCheckout('done'));
    expect(done.checkout).toMatchObject({
      checkoutId,
      phase: 'done',
      payment: { status: 'accepted_offline', mode: 'offline', amount: { minor: 1250, currency: 'CNY' } },
    });
    // No printer is set: nothing is reported about a receipt.
    expect(done.checkout.receipt).toBeUndefined();
    const payment = await client.next((e) => e.type === 'payment');
    expect(payment).toMatchObject({ payment: { paymentId: done.checkout.payment?.paymentId } });
    // The scan went out masked: the renderer never sees a payment code.
    const scan = await client.next((e) => e.type === 'scan');
    expect(scan).toMatchObject({
      scan: { kind: 'payment_code', source: 'kiosk:manual', data: '28************3456' },
    });
    expect(JSON.stringify(client.events)).not.toContain(CODE);
    // The order the cashier sees: waiting, working, done.
    expect(
      client.events.flatMap((e) => (e.type === 'checkout' ? [e.checkout.phase] : [])).slice(0, 3),
    ).toEqual(['waiting_code', 'working', 'done']);
    const status = await client.next((e) => e.type === 'status' && e.status.queue.pending === 1);
    expect(status).toMatchObject({ status: { queue: { pending: 1, totals: { CNY: 1250 } } } });

    const after = await api('/api/status');
    expect(after.json.queue).toMatchObject({ pending: 1, totals: { CNY: 1250 } });
    expect(after.json.queue.remaining.totalStored).toEqual({ minor: 200_000 - 1250, currency: 'CNY' });
    const list = await api('/api/payments?limit=5');
    expect(list.json.payments).toEqual([
      expect.objectContaining({ paymentId: done.checkout.payment?.paymentId, status: 'accepted_offline' }),
    ]);
    expect((await api('/api/checkout')).json).toMatchObject({ checkoutId, phase: 'done' });
  });

  it('refuses a bad amount with 400 and the accepted form; nothing starts', async () => {
    for (const amount of ['-1', '1.234', 'abc', '1e3', '12,50', '0']) {
      const r = await api('/api/checkout', { method: 'POST', body: { amount } });
      expect(r.status, amount).toBe(400);
      expect(ApiError.parse(r.json).error).toMatchObject({ code: 'INVALID_AMOUNT', field: 'amount' });
      expect(r.json.error.message, amount).toContain(acceptedAmountForm('CNY'));
    }
    expect((await api('/api/checkout')).status).toBe(204);
  });

  it('refuses a malformed body with 400 naming the field', async () => {
    const missing = await api('/api/checkout', { method: 'POST', body: {} });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ code: 'BAD_REQUEST', field: 'amount' });
    expect(missing.json.error.message).toMatch(/^amount: /);
    const extra = await api('/api/checkout', { method: 'POST', body: { amount: '1.00', tip: '1.00' } });
    expect(extra.json.error).toMatchObject({ code: 'BAD_REQUEST', field: 'tip' });
    const notJson = await api('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: undefined,
    });
    expect(notJson.status).toBe(400);
    const limit = await api('/api/payments?limit=lots');
    expect(limit.status).toBe(400);
    expect(limit.json.error.field).toBe('limit');
  });

  it('a code used before fails the checkout with CODE_USED', async () => {
    const client = await events();
    await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } });
    await api('/api/checkout/code', { method: 'POST', body: { code: CODE } });
    await client.next(isCheckout('done'));
    const second = await api('/api/checkout', { method: 'POST', body: { amount: '3.00' } });
    await api('/api/checkout/code', { method: 'POST', body: { code: CODE } });
    const failed = await client.next(isCheckout('failed'));
    expect(failed.checkout).toMatchObject({
      checkoutId: second.json.checkoutId,
      phase: 'failed',
      error: { code: 'CODE_USED', message: expect.stringContaining('already used') },
    });
    expect((await api('/api/status')).json.queue.pending).toBe(1);
  });

  it('one checkout at a time; a code with none waiting is 409; cancel ends the wait', async () => {
    const client = await events();
    expect((await api('/api/checkout/code', { method: 'POST', body: { code: CODE } })).status).toBe(409);
    expect((await api('/api/checkout', { method: 'DELETE' })).status).toBe(409);
    await api('/api/checkout', { method: 'POST', body: { amount: '5.00' } });
    const busy = await api('/api/checkout', { method: 'POST', body: { amount: '6.00' } });
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('BUSY');
    // In the terminal's language: zh-CN by default.
    expect(busy.json.error.message).toBe('已有一笔收款正在进行，请先完成或取消。');
    const cancelled = await api('/api/checkout', { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.phase).toBe('cancelled');
    await client.next(isCheckout('cancelled'));
    // The desk no longer waits: a code now takes nothing.
    expect((await api('/api/checkout/code', { method: 'POST', body: { code: CODE } })).status).toBe(409);
    expect((await api('/api/status')).json.queue.pending).toBe(0);
    // A new checkout may start after a cancelled one.
    expect((await api('/api/checkout', { method: 'POST', body: { amount: '6.00' } })).status).toBe(202);
  });

  it('no merchant QR without a core: 409 NO_CORE in words, and the checkout keeps waiting for a code', async () => {
    expect((await api('/api/checkout/qr', { method: 'POST' })).json.error.code).toBe('NO_CHECKOUT');
    await api('/api/checkout', { method: 'POST', body: { amount: '3.00' } });
    const refused = await api('/api/checkout/qr', { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'NO_CORE' });
    expect(refused.json.error.message).toContain('付款码');
    expect((await api('/api/checkout')).json.phase).toBe('waiting_code');
  });

  it('a typed code that is not a payment code is reported, and the checkout keeps waiting', async () => {
    await api('/api/checkout', { method: 'POST', body: { amount: '5.00' } });
    const r = await api('/api/checkout/code', { method: 'POST', body: { code: '12345' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'NOT_A_PAYMENT_CODE', field: 'code' });
    expect(r.json.error.detail).toBeTruthy();
    expect((await api('/api/checkout')).json.phase).toBe('waiting_code');
  });

  it('a wedge scan from the kiosk is routed like any scanner: reported masked, and it pays a waiting checkout', async () => {
    const client = await events();
    const product = await api('/api/scan', { method: 'POST', body: { data: '6901234567892' } });
    expect(product.status).toBe(200);
    expect(product.json.scan).toMatchObject({ kind: 'product', source: 'kiosk:wedge' });
    await api('/api/checkout', { method: 'POST', body: { amount: '8.00' } });
    const paying = await api('/api/scan', { method: 'POST', body: { data: OTHER_CODE } });
    expect(paying.json.scan).toMatchObject({ kind: 'payment_code', data: '28************3457' });
    const done = await client.next(isCheckout('done'));
    expect(done.checkout.payment).toMatchObject({ status: 'accepted_offline', amount: { minor: 800 } });
  });

  it('answers in English when the terminal is set to English', async () => {
    await host.close();
    await start({ env: { SUANPAN_TERMINAL_LOCALE: 'en' } });
    const r = await api('/api/checkout', { method: 'DELETE' });
    expect(r.json.error.message).toBe('No payment is waiting for a payment code. Enter the amount first.');
  });
});

describe('receipts', () => {
  let sim: PrinterSimulator;
  beforeEach(async () => {
    sim = new PrinterSimulator();
    await sim.start();
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    await start({
      env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true', SUANPAN_PRINTER_URI: `tcp://127.0.0.1:${port}` },
    });
  });
  afterEach(async () => {
    await host.close();
    await sim.stop();
  });

  it('prints the receipt of a payment and reports it in a second done event', async () => {
    const client = await events();
    await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } });
    await api('/api/checkout/code', { method: 'POST', body: { code: CODE } });
    const printed = await client.next(
      (e) => e.type === 'checkout' && e.checkout.phase === 'done' && e.checkout.receipt !== undefined,
    );
    expect(printed).toMatchObject({ checkout: { receipt: { printed: true } } });
    const [receipt] = await sim.waitForReceipts(1, 10_000);
    expect(receipt?.lines.map((l) => l.text)).toContain('￥12.50');
    expect((await api('/api/status')).json.devices.printer).toMatchObject({ state: 'ready', waiting: 0 });
  });

  it('out of paper: the payment stands, the receipt waits, the cashier is told why in Chinese', async () => {
    sim.setState({ paperOut: true });
    const client = await events();
    await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } });
    await api('/api/checkout/code', { method: 'POST', body: { code: CODE } });
    const report = await client.next(
      (e) => e.type === 'checkout' && e.checkout.phase === 'done' && e.checkout.receipt !== undefined,
    );
    expect(report).toMatchObject({
      checkout: {
        payment: { status: 'accepted_offline' },
        receipt: { printed: false, problem: expect.stringContaining('打印机缺纸') },
      },
    });
    expect((await api('/api/status')).json.devices.printer).toMatchObject({ state: 'problem', waiting: 1 });
    // The spooler keeps trying in the background: paper back, receipt out.
    sim.setState({ paperOut: false });
    await sim.waitForReceipts(1, 20_000);
  });
});

describe('online', () => {
  let t: TestDb;
  let core: Awaited<ReturnType<typeof startTestCore>>;
  beforeEach(async () => {
    t = await openTestDb('pglite');
    core = await startTestCore(t.db);
  });
  afterEach(async () => {
    await host?.close();
    await core.close();
    await t.cleanup();
  });

  it('activated at a core: syncs in the background, says so in the status, takes payments online', async () => {
    const { merchantId } = await core.service.createMerchant('张记小吃店');
    const { code: activationCode } = await core.service.createActivationCode(merchantId);
    await activate({ dataDir, coreUrl: core.url, code: activationCode, env: {} });
    const { walletId } = await core.service.createWallet({ minor: 10_000, currency: 'CNY' });
    const { code } = await core.service.issueWalletCode(walletId);
    await start();
    const client = await events();
    // The background sync's first cycle reaches the core.
    await client.next(
      (e) => (e.type === 'hello' || e.type === 'status') && e.status.online.lastSyncAt !== null,
    );
    const status = (await api('/api/status')).json;
    expect(status).toMatchObject({
      terminal: { merchantName: '张记小吃店' },
      activation: { activated: true, coreUrl: core.url },
      online: { configured: true, reachable: true, lastError: null },
    });
    await api('/api/checkout', { method: 'POST', body: { amount: '12.50' } });
    await api('/api/checkout/code', { method: 'POST', body: { code } });
    const done = await client.next(isCheckout('done'));
    expect(done.checkout.payment).toMatchObject({ status: 'approved', mode: 'online' });
    expect(await core.service.wallet(walletId)).toMatchObject({ balance: { minor: 10_000 - 1250 } });
  });
});

describe('static files', () => {
  it('serves the built renderer without the token', async () => {
    const webRoot = path.join(dataDir, 'web');
    fs.mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>kiosk</title>');
    fs.writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'export {};');
    await start({ webRoot });
    const index = await request(`${host.url}/`);
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>kiosk</title>');
    const script = await request(`${host.url}/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    fs.writeFileSync(path.join(dataDir, 'outside.txt'), 'not for the web');
    for (const attempt of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt']) {
      const r = await request(`${host.url}${attempt}`);
      expect(r.status, attempt).not.toBe(200);
      expect(r.text).not.toContain('not for the web');
    }
  });

  it('says how to build the renderer when it is not built', async () => {
    await start();
    const page = await request(`${host.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('npm run build:web');
  });
});

describe('extra routes', () => {
  it('are served beside the API under the same guards; `auth` requires the token', async () => {
    await start({
      extraRoutes: (app, { auth }) => {
        app.get('/demo/page', async () => 'open');
        app.get('/demo/api/secret', { preHandler: auth }, async () => ({ secret: true }));
      },
    });
    expect((await request(`${host.url}/demo/page`)).text).toBe('open');
    expect((await request(`${host.url}/demo/page`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await request(`${host.url}/demo/api/secret`)).status).toBe(401);
    const r = await api('/demo/api/secret');
    expect(r.json).toEqual({ secret: true });
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('lifecycle', () => {
  it('close() stops the API and its sockets; the folder can be opened again at once', async () => {
    await start();
    const client = await events();
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    const url = host.url;
    await host.close();
    expect(await closed).toBe(1001);
    await expect(request(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    await host.close(); // twice is fine
    await start();
    expect((await api('/api/status')).status).toBe(200);
  });

  it('a port in use is refused with PORT_IN_USE, and what was opened is closed again', async () => {
    await start();
    const taken = Number(new URL(host.url).port);
    const second = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-host-second-'));
    try {
      await expect(
        startHost({ dataDir: second, env: {}, port: taken, log: silentLogger() }),
      ).rejects.toMatchObject({
        code: 'PORT_IN_USE',
      });
      // The second terminal's journal was closed: it opens again.
      const again = await startHost({ dataDir: second, env: {}, port: 0, log: silentLogger() });
      await again.close();
    } finally {
      fs.rmSync(second, { recursive: true, force: true });
    }
  });
});
