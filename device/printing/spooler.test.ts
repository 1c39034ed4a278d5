/**
 * The print queue and spooler against the printer simulator over a real TCP socket: a receipt
 * survives paper out, an unplugged printer and a restart, and prints exactly once when the printer
 * is back.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Printer } from '../../drivers/printer/printer.ts';
import { PROFILES } from '../../drivers/printer/profiles.ts';
import { TcpTransport } from '../../drivers/transport/tcp.ts';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import type { Receipt } from '../../test-hardware/printer-sim/escpos-decoder.ts';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { silentLogger } from '../log.ts';
import { paymentReceipt, type ReceiptContext } from '../receipts/receipts.ts';
import { PrintQueue } from './print-queue.ts';
import { PrintSpooler } from './spooler.ts';

const CONTEXT: ReceiptContext = {
  merchantName: '张记小吃店',
  terminalId: 'sp-00112233445566ff',
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
};
let n = 0;

function aPayment(over: Partial<PaymentRecord> = {}): PaymentRecord {
  n += 1;
  return {
    paymentId: `0193a1b2-c3d4-7e5f-8a9b-${String(n).padStart(12, '0')}`,
    seq: n,
    amount: { minor: 1250 + n, currency: 'CNY' },
    scheme: 'alipay',
    codeMasked: '28************3456',
    status: 'approved',
    mode: 'online',
    reason: null,
    capturedAt: '2026-11-25T08:30:00.000Z',
    updatedAt: '2026-11-25T08:30:01.000Z',
    ...over,
  } as PaymentRecord;
}

/**
 * A cable to the printer that can be pulled: forwards to `port` until `cutAfter` bytes went through
 * towards the printer, then drops every connection and refuses new ones until `plugIn()`.
 */
async function passThrough(target: number, cutAfter: number) {
  let plugged = true;
  let forwarded = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!plugged) return client.destroy();
    const printerSide = net.connect(target, '127.0.0.1');
    sockets.add(client).add(printerSide);
    const pull = () => {
      plugged = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    };
    client.on('data', (chunk) => {
      if (!plugged) return;
      const room = cutAfter - forwarded;
      if (room <= 0) return pull();
      printerSide.write(chunk.subarray(0, room));
      forwarded += Math.min(room, chunk.length);
      if (forwarded >= cutAfter) printerSide.end(() => pull());
    });
    printerSide.on('data', (chunk) => client.write(chunk));
    for (const s of [client, printerSide]) s.on('error', () => {});
    client.on('close', () => printerSide.destroy());
    printerSide.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get forwarded() {
      return forwarded;
    },
    plugIn() {
      plugged = true;
      cutAfter = Number.POSITIVE_INFINITY;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Receipts the simulator finished (cut) that carry this payment's QR. */
const printedFor = (sim: PrinterSimulator, paymentId: string): Receipt[] =>
  sim.receipts.filter((r) => r.cut && r.qrs.some((q) => q.data === paymentId));

describe('print queue and spooler (simulator over TCP)', () => {
  let dir: string;
  let sim: PrinterSimulator;
  let port: number;
  let queue: PrintQueue;
  let printer: Printer;
  let spooler: PrintSpooler;

  function open() {
    queue = PrintQueue.open(dir);
    printer = new Printer({
      transport: new TcpTransport({ host: '127.0.0.1', port }),
      profile: PROFILES['epson-80'] as never,
      statusTimeoutMs: 300,
    });
    spooler = new PrintSpooler({ queue, printer, log: silentLogger(), retryMs: 20 });
  }
  async function closeAll() {
    await spooler.stop();
    await printer.close();
    queue.close();
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-print-'));
    sim = new PrinterSimulator({});
    await sim.start();
    port = (await sim.listenTcp({ host: '127.0.0.1', port: 0 })).port;
    open();
  });
  afterEach(async () => {
    await closeAll();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints a queued receipt once: the model has the amount, the Chinese text and the QR payload', async () => {
    const p = aPayment({
      status: 'accepted_offline',
      mode: 'offline',
      amount: { minor: 12_345, currency: 'CNY' },
    });
    const job = queue.enqueue({
      kind: 'receipt',
      paymentId: p.paymentId,
      document: paymentReceipt(p, CONTEXT),
    });
    expect(
      queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) }).id,
    ).toBe(job.id);
    const result = await spooler.flush();
    expect(result).toMatchObject({ pending: 0, error: null });
    const [receipt] = printedFor(sim, p.paymentId);
    const text = receipt?.lines.map((l) => l.text) ?? [];
    expect(text).toContain('张记小吃店');
    expect(text).toContain('￥123.45');
    expect(text).toContain('离线交易，待确认');
    expect(receipt?.lines.find((l) => l.text === '￥123.45')).toMatchObject({
      width: 2,
      height: 2,
      bold: true,
    });
    // A second flush prints nothing again.
    await spooler.flush();
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
    expect(queue.get(job.id)).toMatchObject({ state: 'printed', attempts: 1 });
  });

  it('paper out mid-job, then paper back: the receipt prints whole, once, and the next one after it', async () => {
    const first = aPayment();
    const second = aPayment();
    sim.setState({ paperOutAfterBytes: 200 });
    queue.enqueue({ kind: 'receipt', paymentId: first.paymentId, document: paymentReceipt(first, CONTEXT) });
    queue.enqueue({
      kind: 'receipt',
      paymentId: second.paymentId,
      document: paymentReceipt(second, CONTEXT),
    });
    const failed = await spooler.flush();
    expect(failed.error?.code).toBe('PAPER_OUT');
    expect(failed.pending).toBe(2);
    expect(queue.pending()[0]).toMatchObject({
      paymentId: first.paymentId,
      lastError: { code: 'PAPER_OUT' },
    });
    // Still out: nothing more goes to the printer and the jobs keep waiting.
    expect((await spooler.flush()).error?.code).toBe('PAPER_OUT');
    expect(printedFor(sim, first.paymentId)).toHaveLength(0);

    sim.setState({ paperOut: false });
    const ok = await spooler.flush();
    expect(ok).toMatchObject({ pending: 0, error: null });
    expect(printedFor(sim, first.paymentId)).toHaveLength(1);
    expect(printedFor(sim, second.paymentId)).toHaveLength(1);
    // The part printed before the paper ran out is not glued to the whole one.
    expect(printedFor(sim, first.paymentId)[0]?.lines.filter((l) => l.text === '张记小吃店')).toHaveLength(1);
    const order = sim.receipts.filter((r) => r.cut).map((r) => r.qrs[0]?.data);
    expect(order.indexOf(first.paymentId)).toBeLessThan(order.indexOf(second.paymentId));
  });

  it('cover open and a silent printer: the job waits with the reason, then prints', async () => {
    const p = aPayment();
    queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    sim.setState({ coverOpen: true });
    expect((await spooler.flush()).error?.code).toBe('COVER_OPEN');
    sim.setState({ coverOpen: false, silent: true });
    expect((await spooler.flush()).error?.code).toBe('TIMEOUT');
    sim.setState({ silent: false });
    expect(await spooler.flush()).toMatchObject({ pending: 0, error: null });
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
    expect(queue.get(1)?.attempts).toBe(3);
    // Nothing of it had reached the printer before: no blank slip cut ahead of it.
    expect(sim.receipts.filter((r) => r.lines.every((l) => l.text.trim() === ''))).toEqual([]);
  });

  it('unplugged mid-job, then plugged back in: printed once, nothing lost', async () => {
    const p = aPayment();
    queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    // The printer's cable: a pass-through that is pulled after 300 bytes of the job went through.
    const cable = await passThrough(port, 300);
    await closeAll();
    port = cable.port;
    open();
    const down = await spooler.flush();
    expect(down.error?.code).toBe('OFFLINE');
    expect(cable.forwarded).toBeGreaterThanOrEqual(300);
    expect(queue.pending()).toHaveLength(1);
    expect(printedFor(sim, p.paymentId)).toHaveLength(0);
    // Still unplugged: the job keeps waiting.
    expect((await spooler.flush()).error?.code).toBe('OFFLINE');

    cable.plugIn();
    expect(await spooler.flush()).toMatchObject({ pending: 0, error: null });
    const printed = printedFor(sim, p.paymentId);
    expect(printed).toHaveLength(1);
    expect(printed[0]?.lines.filter((l) => l.text === '张记小吃店')).toHaveLength(1);
    await cable.close();
  });

  it('a receipt queued before a restart prints after it', async () => {
    const p = aPayment();
    sim.setState({ offline: true });
    queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    expect((await spooler.flush()).error?.code).toBe('OFFLINE');
    await closeAll();
    sim.setState({ offline: false });
    open(); // the terminal restarts
    expect(queue.pending().map((j) => j.paymentId)).toEqual([p.paymentId]);
    expect(await spooler.flush()).toMatchObject({ pending: 0 });
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
  });

  it('background printing retries by itself until the paper is back', async () => {
    const p = aPayment();
    sim.setState({ paperOut: true });
    queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    spooler.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queue.pending()).toHaveLength(1);
    sim.setState({ paperOut: false });
    await sim.waitForReceipts(1, 5_000);
    await spooler.stop();
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
    expect(queue.pending()).toHaveLength(0);
  });

  it('a job that cannot print as it is waits for a technician; the jobs behind it print', async () => {
    const bad = queue.enqueue({
      kind: 'test',
      document: { cut: true, blocks: [{ kind: 'text', text: 'x'.repeat(5_000) }] },
    });
    const p = aPayment();
    queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    const result = await spooler.flush();
    expect(result.pending).toBe(1);
    expect(result.problems).toEqual([
      {
        job: expect.objectContaining({ id: bad.id }),
        error: expect.objectContaining({ code: 'UNPRINTABLE' }),
      },
    ]);
    expect(queue.get(bad.id)).toMatchObject({ state: 'queued', lastError: { code: 'UNPRINTABLE' } });
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
  });

  it('a job asked for on another printer prints alone; the queue waits for the terminal printer', async () => {
    const waiting = aPayment();
    const asked = aPayment();
    queue.enqueue({
      kind: 'receipt',
      paymentId: waiting.paymentId,
      document: paymentReceipt(waiting, CONTEXT),
    });
    const job = queue.enqueue({
      kind: 'receipt',
      paymentId: asked.paymentId,
      document: paymentReceipt(asked, CONTEXT),
    });
    expect(await spooler.flush({ only: job.id })).toMatchObject({
      printed: [expect.objectContaining({ id: job.id })],
      pending: 1,
    });
    expect(printedFor(sim, waiting.paymentId)).toHaveLength(0);
    expect(queue.pending().map((j) => j.paymentId)).toEqual([waiting.paymentId]);
  });

  it('a job left leased by a process that died is taken over at once', async () => {
    const p = aPayment();
    const job = queue.enqueue({
      kind: 'receipt',
      paymentId: p.paymentId,
      document: paymentReceipt(p, CONTEXT),
    });
    // A `suanpan pay` interrupted while printing: pid 2^22 + 1 is above Linux's pid_max, never alive.
    expect(queue.claim(job.id, '4194305-dead', 60_000)).toBe(true);
    expect(await spooler.flush()).toMatchObject({ pending: 0, busy: false });
    expect(printedFor(sim, p.paymentId)).toHaveLength(1);
  });

  it('a job held by a live process is left to it, and the flush says so', async () => {
    const p = aPayment();
    const job = queue.enqueue({
      kind: 'receipt',
      paymentId: p.paymentId,
      document: paymentReceipt(p, CONTEXT),
    });
    expect(queue.claim(job.id, `${process.pid}-another`, 60_000)).toBe(true);
    expect(await spooler.flush()).toMatchObject({ printed: [], pending: 1, busy: true });
  });

  it('two spoolers on one queue (two processes) never print a job twice', async () => {
    const payments = Array.from({ length: 6 }, () => aPayment());
    for (const p of payments)
      queue.enqueue({ kind: 'receipt', paymentId: p.paymentId, document: paymentReceipt(p, CONTEXT) });
    const otherQueue = PrintQueue.open(dir);
    const otherPrinter = new Printer({
      transport: new TcpTransport({ host: '127.0.0.1', port }),
      profile: PROFILES['epson-80'] as never,
    });
    const other = new PrintSpooler({ queue: otherQueue, printer: otherPrinter, log: silentLogger() });
    try {
      // Each flush stops where the other holds a job; flush until both see nothing left.
      for (let i = 0; i < 10 && queue.pending().length > 0; i++)
        await Promise.all([spooler.flush(), other.flush()]);
      for (const p of payments) expect(printedFor(sim, p.paymentId)).toHaveLength(1);
    } finally {
      await otherPrinter.close();
      otherQueue.close();
    }
  });
});
