/**
 * The cashier's and supervisor's second-slice routes over real sockets, on a real journal, without a
 * core: the supervisor PIN (wrong, locked, not set), void and refund as the journal's state machine
 * allows them, the receipt drawn as a PNG, reprint and shift close with and without a printer.
 * Void against a real core: core-actions.test.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profile } from '../../drivers/printer/profiles.ts';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { ApiError, type HostEvent, PIN_ATTEMPTS, PIN_LOCK_S } from './api-schema.ts';
import { KIOSK_PINS, offlineCode, SUPERVISOR_PIN, TECHNICIAN_PIN, TestHost } from './test-host.ts';

let t: TestHost;
beforeEach(() => {
  t = new TestHost();
});
afterEach(() => t.close());

const voidIt = (paymentId: string, pin: string) =>
  t.api(`/api/payments/${paymentId}/void`, { method: 'POST', body: { pin } });
const refundIt = (paymentId: string, pin: string) =>
  t.api(`/api/payments/${paymentId}/refund`, { method: 'POST', body: { pin } });

/**
 * An approved payment in the journal of a terminal without a core: what a till has after it was
 * disconnected from the core that approved it (the host itself only approves online).
 */
function approvedPayment(minor: number) {
  const { journal, key } = t.host.terminal;
  const code = offlineCode();
  return journal.capture(
    {
      amount: { minor, currency: 'CNY' },
      scheme: 'demo',
      code,
      codeHash: key.digestCode(code),
      codeMasked: `28************${code.slice(-4)}`,
    },
    () => ({ status: 'approved', mode: 'online' }),
  );
}

describe('supervisor PIN', () => {
  beforeEach(async () => {
    t.settings(KIOSK_PINS);
    await t.start();
  });

  it('a wrong PIN is 403 WRONG_PIN with the tries left, in Chinese; the right PIN resets the count', async () => {
    const payment = await t.pay('12.50');
    for (const left of [4, 3]) {
      const r = await voidIt(payment.paymentId, '0000');
      expect(r.status).toBe(403);
      expect(ApiError.parse(r.json).error).toMatchObject({ code: 'WRONG_PIN', attemptsLeft: left });
      expect(r.json.error.message).toBe(`密码不正确，还可再试 ${left} 次。`);
    }
    // The right PIN passes the guard (the payment itself can't be voided: see below) and resets it.
    expect((await voidIt(payment.paymentId, SUPERVISOR_PIN)).json.error.code).toBe('ILLEGAL_TRANSITION');
    expect((await voidIt(payment.paymentId, '0000')).json.error.attemptsLeft).toBe(PIN_ATTEMPTS - 1);
    // The technician's PIN is not the supervisor's.
    expect((await voidIt(payment.paymentId, TECHNICIAN_PIN)).json.error.code).toBe('WRONG_PIN');
  });

  it('five wrong PINs in a row lock it for 60 s (423, retryAfterS, Retry-After), the right one too', async () => {
    const payment = await t.pay('5.00');
    for (let i = 1; i < PIN_ATTEMPTS; i++) expect((await voidIt(payment.paymentId, '1111')).status).toBe(403);
    const fifth = await voidIt(payment.paymentId, '1111');
    expect(fifth.status).toBe(423);
    expect(ApiError.parse(fifth.json).error).toMatchObject({ code: 'PIN_LOCKED', retryAfterS: PIN_LOCK_S });
    expect(fifth.headers['retry-after']).toBe(String(PIN_LOCK_S));
    expect(fifth.json.error.message).toContain('已锁定');

    t.clock.advance(20_000);
    const right = await refundIt(payment.paymentId, SUPERVISOR_PIN);
    expect(right.status).toBe(423);
    expect(right.json.error.retryAfterS).toBe(PIN_LOCK_S - 20);
    // Counted per kind of PIN: the technician's still opens a session.
    expect(
      (await t.api('/api/technician/session', { method: 'POST', body: { pin: TECHNICIAN_PIN } })).status,
    ).toBe(200);

    t.clock.advance((PIN_LOCK_S - 20) * 1000);
    const after = await voidIt(payment.paymentId, SUPERVISOR_PIN);
    expect(after.json.error.code).toBe('ILLEGAL_TRANSITION');
    // A fresh count after the lock: a wrong PIN has all its tries again.
    expect((await voidIt(payment.paymentId, '1111')).json.error.attemptsLeft).toBe(PIN_ATTEMPTS - 1);
  });

  it('a PIN of the wrong form is a 400 naming the field, and is not counted', async () => {
    const payment = await t.pay('5.00');
    for (const body of [{ pin: '12' }, { pin: 'abcd' }, {}, { pin: SUPERVISOR_PIN, extra: 1 }]) {
      const r = await t.api(`/api/payments/${payment.paymentId}/void`, { method: 'POST', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe('BAD_REQUEST');
    }
    expect((await voidIt(payment.paymentId, '0000')).json.error.attemptsLeft).toBe(PIN_ATTEMPTS - 1);
  });

  it('a payment accepted offline cannot be voided or refunded: 409, sync first; nothing changes', async () => {
    const client = await t.events();
    const payment = await t.pay('12.50');
    const refused = await voidIt(payment.paymentId, SUPERVISOR_PIN);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('ILLEGAL_TRANSITION');
    expect(refused.json.error.message).toContain('请先同步');
    const refund = await refundIt(payment.paymentId, SUPERVISOR_PIN);
    expect(refund.status).toBe(409);
    expect(refund.json.error.message).toContain('请先同步');
    expect(t.host.terminal.journal.payment(payment.paymentId)?.status).toBe('accepted_offline');
    expect(client.events.filter((e) => e.type === 'payment')).toHaveLength(1);
  });

  it('an unknown payment is 404 UNKNOWN_PAYMENT', async () => {
    const r = await voidIt('0195f0e4-0000-7000-8000-000000000000', SUPERVISOR_PIN);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('UNKNOWN_PAYMENT');
  });

  it('without a core: a refund is recorded and sent as a payment event; a void is refused (NO_CORE)', async () => {
    const client = await t.events();
    const approved = approvedPayment(3_000);
    const noVoid = await voidIt(approved.paymentId, SUPERVISOR_PIN);
    expect(noVoid.status).toBe(409);
    expect(noVoid.json.error.code).toBe('NO_CORE');
    expect(t.host.terminal.journal.payment(approved.paymentId)?.status).toBe('approved');

    const refunded = await refundIt(approved.paymentId, SUPERVISOR_PIN);
    expect(refunded.status).toBe(200);
    expect(refunded.json.payment).toMatchObject({ paymentId: approved.paymentId, status: 'refunded' });
    const event = await client.next(
      (e: HostEvent) => e.type === 'payment' && e.payment.paymentId === approved.paymentId,
    );
    expect(event).toMatchObject({ payment: { status: 'refunded' } });
    expect(t.host.terminal.journal.payment(approved.paymentId)?.status).toBe('refunded');
    // The journal's chain holds it: a new entry, signed, verifiable.
    expect((await t.host.terminal.journal.verify({ publicKey: t.host.terminal.key.publicKey })).ok).toBe(
      true,
    );

    const again = await refundIt(approved.paymentId, SUPERVISOR_PIN);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: '这笔交易已退款。' });
  });
});

describe('void when the core cannot be asked', () => {
  /** A terminal activated at `coreUrl` (its record as `suanpan activate` writes it). */
  function activatedAt(coreUrl: string, core: Record<string, unknown> = {}) {
    t.settings({ ...KIOSK_PINS, core: { url: coreUrl, ...core } });
    fs.writeFileSync(
      path.join(t.dataDir, 'activation.json'),
      JSON.stringify({
        coreUrl,
        terminalId: 'set-by-the-core',
        merchantId: 'm-1',
        merchantName: 'Test Shop',
        activatedAt: new Date(0).toISOString(),
      }),
    );
  }

  it('unreachable: 503 CORE_UNREACHABLE, nothing recorded, the cashier told why', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    activatedAt('http://127.0.0.1:1');
    await t.start({ backgroundSync: false });
    const approved = approvedPayment(1_000);
    const r = await voidIt(approved.paymentId, SUPERVISOR_PIN);
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('CORE_UNREACHABLE');
    expect(r.json.error.message).toContain('无法连接支付核心');
    expect(t.host.terminal.journal.payment(approved.paymentId)?.status).toBe('approved');
  });

  it('no answer in time: 504 CORE_NO_ANSWER, nothing recorded', async () => {
    // A core that takes the connection and never answers.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      activatedAt(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { timeoutMs: 200 });
      await t.start({ backgroundSync: false });
      const approved = approvedPayment(1_000);
      const r = await voidIt(approved.paymentId, SUPERVISOR_PIN);
      expect(r.status).toBe(504);
      expect(r.json.error.code).toBe('CORE_NO_ANSWER');
      expect(t.host.terminal.journal.payment(approved.paymentId)?.status).toBe('approved');
    } finally {
      await t.close();
      silent.close();
    }
  });
});

describe('supervisor PIN not set', () => {
  it('refuses void and refund with 403 PIN_NOT_SET, whatever PIN is given', async () => {
    await t.start();
    const payment = await t.pay('5.00');
    for (const pin of ['0000', SUPERVISOR_PIN]) {
      const r = await voidIt(payment.paymentId, pin);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('PIN_NOT_SET');
      expect(r.json.error.attemptsLeft).toBeUndefined();
    }
    expect((await refundIt(payment.paymentId, '0000')).json.error.code).toBe('PIN_NOT_SET');
  });

  it('speaks English on an English terminal', async () => {
    t.settings({ ...KIOSK_PINS, terminal: { locale: 'en' } });
    await t.start();
    const payment = await t.pay('5.00');
    const wrong = await voidIt(payment.paymentId, '0000');
    expect(wrong.json.error.message).toBe('Wrong PIN: 4 tries left before it locks.');
    const offline = await voidIt(payment.paymentId, SUPERVISOR_PIN);
    expect(offline.json.error.message).toMatch(/stored offline .* Sync first/);
  });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('receipts and shift close without a printer', () => {
  beforeEach(() => t.start());

  it('draws the receipt of a payment as a PNG; an unknown payment is 404', async () => {
    const payment = await t.pay('12.50');
    const r = await t.api(`/api/payments/${payment.paymentId}/receipt.png`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(r.body.subarray(12, 16).toString('latin1')).toBe('IHDR');
    const { width, height } = pngSize(r.body);
    // The paper's width (80 mm: 576 dots) and margins; a receipt is taller than it is wide.
    expect(width).toBe(profile('epson-80').widthDots + 24);
    expect(height).toBeGreaterThan(width);
    expect(r.body.length).toBeGreaterThan(2_000);

    const unknown = await t.api('/api/payments/0195f0e4-0000-7000-8000-000000000000/receipt.png');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('UNKNOWN_PAYMENT');
    // Like every /api route, only with the token.
    const { request } = await import('./test-client.ts');
    expect((await request(`${t.host.url}/api/payments/${payment.paymentId}/receipt.png`)).status).toBe(401);
  });

  it('reprint says there is no printer; shift close closes the shift and says the same', async () => {
    const payment = await t.pay('12.50');
    await t.pay('3.00');
    const reprint = await t.api(`/api/payments/${payment.paymentId}/reprint`, { method: 'POST' });
    expect(reprint.status).toBe(200);
    expect(reprint.json).toEqual({ printed: false, problem: '本终端未设置小票打印机。' });
    expect((await t.api('/api/payments/nope/reprint', { method: 'POST' })).status).toBe(404);

    const closed = await t.api('/api/shift/close', { method: 'POST' });
    expect(closed.status).toBe(200);
    expect(closed.json.report).toMatchObject({
      shiftNo: 1,
      payments: 2,
      byStatus: { accepted_offline: { count: 2, totals: { CNY: 1550 } } },
    });
    expect(closed.json.print).toEqual({ printed: false, problem: '本终端未设置小票打印机。' });
    const next = await t.api('/api/shift/close', { method: 'POST' });
    expect(next.json.report).toMatchObject({
      shiftNo: 2,
      payments: 0,
      openedAt: closed.json.report.closedAt,
    });
  });
});

describe('receipts and shift close on a printer', () => {
  let sim: PrinterSimulator;
  beforeEach(async () => {
    sim = new PrinterSimulator();
    await sim.start();
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    t.settings({ printer: { uri: `tcp://127.0.0.1:${port}` } });
    await t.start();
  });
  afterEach(async () => {
    await t.close();
    await sim.stop();
  });

  const texts = (i: number) => (sim.receipts[i]?.lines ?? []).map((l) => l.text);

  it('reprints a printed receipt marked as a reprint, and prints the shift report', async () => {
    const payment = await t.pay('12.50');
    await sim.waitForReceipts(1, 10_000);
    expect(texts(0)).not.toContain('*** 重印 ***');

    const reprint = await t.api(`/api/payments/${payment.paymentId}/reprint`, { method: 'POST' });
    expect(reprint.json).toEqual({ printed: true });
    await sim.waitForReceipts(2, 10_000);
    expect(texts(1)).toContain('*** 重印 ***');
    expect(texts(1)).toContain('￥12.50');

    const closed = await t.api('/api/shift/close', { method: 'POST' });
    expect(closed.json).toMatchObject({ report: { shiftNo: 1, payments: 1 }, print: { printed: true } });
    await sim.waitForReceipts(3, 10_000);
    expect(texts(2)).toContain('交班报表');
  });

  it('out of paper: the reprint waits in the queue and the cashier is told why', async () => {
    const payment = await t.pay('8.00');
    await sim.waitForReceipts(1, 10_000);
    sim.setState({ paperOut: true });
    const reprint = await t.api(`/api/payments/${payment.paymentId}/reprint`, { method: 'POST' });
    expect(reprint.json).toMatchObject({ printed: false, problem: expect.stringContaining('打印机缺纸') });
    expect((await t.api('/api/status')).json.devices.printer).toMatchObject({ state: 'problem', waiting: 1 });
  });
});
