/**
 * The printer driver over real loopback TCP sockets (`TcpTransport`): against the ESC/POS printer
 * simulator (test-hardware/printer-sim), a plain server that answers garbage, a port nobody listens
 * on, and a small fake Star printer that answers Star Line Mode's ENQ and EOT with given bytes.
 *
 * Whatever goes wrong, the rule under test is the same: the print call rejects with a typed
 * PrinterError (nothing is reported as printed) and its cashier message says what to do.
 */
import net from 'node:net';
import { test as base, describe, expect } from 'vitest';
import { PrinterSimulator, type TcpAddress } from '../../test-hardware/printer-sim/simulator.ts';
import { TcpTransport } from '../transport/tcp.ts';
import { BaseTransport, TransportError } from '../transport/transport.ts';
import type { PrintDocument } from './document.ts';
import { PrinterError, type PrinterErrorCode } from './errors.ts';
import { encodeDocument } from './escpos/encoder.ts';
import type { PrinterStatus } from './escpos/status.ts';
import { Printer } from './printer.ts';
import { PROFILES, type PrinterProfile } from './profiles.ts';

/** How long to wait for what should come at once over loopback (a bound on failure, not a measure). */
const WAIT_MS = 5_000;
/** For the tests where the printer is meant not to answer: how long the driver gives it. */
const SHORT_TIMEOUT_MS = 150;

const DOC: PrintDocument = {
  drawer: false,
  cut: true,
  blocks: [
    { kind: 'text', text: '老王面馆', align: 'center', bold: true, size: 2 },
    { kind: 'pair', left: '金额', right: '￥12.50' },
    { kind: 'rule' },
    { kind: 'qr', data: 'https://suanpan.example/r/0042' },
  ],
};

const HEALTHY: PrinterStatus = {
  online: true,
  coverOpen: false,
  paperOut: false,
  paperNearEnd: false,
  drawerOpen: false,
  error: false,
  raw: { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 },
};

function profileOf(id: string): PrinterProfile {
  const p = PROFILES[id];
  if (!p) throw new Error(`no profile ${id}`);
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<PrinterError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PrinterError) return err;
    throw err;
  }
  throw new Error('expected a PrinterError, but it resolved');
}

/** A plain TCP server for the tests' fake devices; `close` also drops its connections. */
async function listen(onSocket: (socket: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: { host: '127.0.0.1', port },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Bytes a fake device received, with a way to wait for them. */
class Inbox {
  readonly bytes: number[] = [];
  /** What happened, in order: `rx <hex>` per chunk received, `tx <hex>` per answer sent. */
  readonly log: string[] = [];
  private readonly wakers = new Set<() => void>();

  add(chunk: Buffer): void {
    this.bytes.push(...chunk);
    this.log.push(`rx ${chunk.toString('hex')}`);
    for (const wake of this.wakers) wake();
  }

  waitFor(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${n} byte(s), got [${this.bytes}]`)),
        WAIT_MS,
      );
      const check = () => {
        if (this.bytes.length < n) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      this.wakers.add(check);
      check();
    });
  }
}

/**
 * A Star Line Mode printer as far as status goes: answers each ENQ (05) and EOT (04) it receives with
 * the byte set in `answers` (none when undefined). With `holdEnq`, the ENQ answer waits for
 * `release()`. Print data is received and kept, not interpreted.
 */
async function fakeStarPrinter(answers: { ENQ?: number; EOT?: number }) {
  const inbox = new Inbox();
  const fake = { answers, holdEnq: false, held: [] as (() => void)[] };
  const server = await listen((socket) => {
    socket.on('data', (chunk: Buffer) => {
      inbox.add(chunk);
      for (const b of chunk) {
        const request = b === 0x05 ? 'ENQ' : b === 0x04 ? 'EOT' : undefined;
        const answer = request && fake.answers[request];
        if (answer === undefined) continue;
        const send = () => {
          inbox.log.push(`tx ${answer.toString(16).padStart(2, '0')}`);
          socket.write(Buffer.from([answer]));
        };
        if (request === 'ENQ' && fake.holdEnq) fake.held.push(send);
        else send();
      }
    });
  });
  return {
    ...server,
    inbox,
    fake,
    release: () => {
      for (const send of fake.held.splice(0)) send();
    },
  };
}

interface Fixtures {
  sim: PrinterSimulator;
  address: TcpAddress;
  /** A Printer over a new TcpTransport to `target`, closed after the test. */
  printerAt: (target: TcpAddress, options?: { profile?: string; statusTimeoutMs?: number }) => Printer;
  /** The epson-80 printer on the simulator. */
  printer: Printer;
}

const test = base.extend<Fixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  sim: async ({}, use) => {
    const sim = new PrinterSimulator();
    await sim.start();
    await use(sim);
    await sim.stop();
  },
  address: async ({ sim }, use) => {
    await use(await sim.listenTcp({ host: '127.0.0.1', port: 0 }));
  },
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  printerAt: async ({}, use) => {
    const printers: Printer[] = [];
    await use((target, options = {}) => {
      const printer = new Printer({
        transport: new TcpTransport({ host: target.host, port: target.port, connectTimeoutMs: WAIT_MS }),
        profile: profileOf(options.profile ?? 'epson-80'),
        statusTimeoutMs: options.statusTimeoutMs ?? WAIT_MS,
      });
      printers.push(printer);
      return printer;
    });
    await Promise.all(printers.map((p) => p.close()));
  },
  printer: async ({ address, printerAt }, use) => {
    await use(printerAt(address));
  },
});

describe('an ESC/POS printer (the simulator, epson-80)', () => {
  test('reports a healthy status, asking with DLE EOT 1–4', async ({ sim, printer }) => {
    expect(await printer.status()).toEqual(HEALTHY);
    expect(sim.counters.statusRequests).toBe(4);
  });

  test('prints the document: the simulator cuts off a receipt with its text and QR', async ({
    sim,
    printer,
  }) => {
    const result = await printer.print(DOC);
    expect(result).toEqual({ bytes: (await encodeDocument(DOC, printer.profile)).length, status: HEALTHY });
    const [receipt] = await sim.waitForReceipts(1, WAIT_MS);
    expect(receipt?.cut).toBe('full');
    expect(receipt?.lines.slice(0, 3).map((l) => l.text)).toEqual([
      '老王面馆',
      `金额${' '.repeat(48 - 4 - 7)}￥12.50`,
      '-'.repeat(48),
    ]);
    expect(receipt?.qrs.map((q) => q.data)).toEqual(['https://suanpan.example/r/0042']);
    expect(sim.counters).toMatchObject({ unknown: 0, invalidCharacters: 0, discardedBytes: 0 });
  });

  test('opens the drawer with a complete pulse on both pins', async ({ sim, printer }) => {
    await printer.openDrawer();
    // The drawer call resolves once the bytes are sent; a status read after it was answered only
    // once the simulator had decoded them.
    await printer.status();
    expect(sim.drawerPulses).toEqual([
      { pin: 2, onMs: 50, offMs: 50, receiptIndex: 0 },
      { pin: 5, onMs: 50, offMs: 50, receiptIndex: 0 },
    ]);
  });

  test('out of paper, the drawer still opens: a real-time pulse on both pins; offline, it is refused', async ({
    sim,
    printer,
  }) => {
    sim.setState({ paperOut: true });
    await printer.openDrawer();
    await printer.status().catch(() => {});
    expect(sim.drawerPulses).toEqual([
      expect.objectContaining({ pin: 2, onMs: 100 }),
      expect.objectContaining({ pin: 5, onMs: 100 }),
    ]);
    sim.setState({ paperOut: false, offline: true });
    await expect(printer.openDrawer()).rejects.toMatchObject({ code: 'OFFLINE' });
    expect(sim.drawerPulses).toHaveLength(2);
  });

  test('a printer gone silent (out of paper, many do) still gets the real-time drawer pulse', async ({
    sim,
    printerAt,
    address,
  }) => {
    const printer = printerAt(address, { statusTimeoutMs: 100 });
    sim.setState({ silent: true });
    expect(await printer.openDrawer()).toEqual({ realTime: true, statusKnown: false });
    sim.setState({ silent: false });
    await printer.status();
    expect(sim.drawerPulses.map((p) => p.pin)).toEqual([2, 5]);
  });

  test.for([
    ['paper out', { paperOut: true }, 'PAPER_OUT', '缺纸', /paper/],
    ['cover open', { coverOpen: true }, 'COVER_OPEN', '盖', /cover/],
    ['offline', { offline: true }, 'OFFLINE', '未连接', /offline/],
  ] as const)(
    '%s: refused before any byte of the job is sent',
    async ([, state, code, zh, message], { sim, printer }) => {
      sim.setState(state);
      const err = await rejection(printer.print(DOC));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.retryable).toBe(true);
      expect(err.cashierMessage('zh-CN')).toContain(zh);
      // Only the status requests reached the printer: no print data, not even discarded.
      expect(sim.counters).toMatchObject({ statusRequests: 4, discardedBytes: 0, characters: 0 });
      expect(sim.receipts).toEqual([]);
      // Once the cashier fixes it, the same driver prints.
      sim.setState({ paperOut: false, coverOpen: false, offline: false });
      await printer.print(DOC);
      expect(sim.receipts).toHaveLength(1);
    },
  );

  test('a silent printer is TIMEOUT, not success', async ({ sim, address, printerAt }) => {
    const printer = printerAt(address, { statusTimeoutMs: SHORT_TIMEOUT_MS });
    sim.setState({ silent: true });
    const err = await rejection(printer.print(DOC));
    expect(err.code).toBe('TIMEOUT');
    expect(err.cashierMessage('en')).toMatch(/does not answer/);
    expect(sim.counters.characters).toBe(0);
    expect(sim.receipts).toEqual([]);
  });

  test('answers that are no status are GARBLED, and no job is sent', async ({ printerAt }) => {
    const inbox = new Inbox();
    const http = await listen((socket) =>
      socket.on('data', (chunk: Buffer) => {
        inbox.add(chunk);
        // Bytes that can't be a DLE EOT answer (bit 0 or 7 set, or bit 1 or 4 clear).
        socket.write(Buffer.from([0x00, 0xff, 0x41, 0x0d, 0x0a]));
      }),
    );
    try {
      const printer = printerAt(http.address, { statusTimeoutMs: SHORT_TIMEOUT_MS });
      const err = await rejection(printer.print(DOC));
      expect(err.code).toBe('GARBLED');
      expect(err.message).toMatch(/not a status/);
      expect(inbox.bytes).toEqual([0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4]);
    } finally {
      await http.close();
    }
  });

  test('nothing listening is OFFLINE, saying where and what to check', async ({ printerAt }) => {
    const closed = await listen(() => {});
    await closed.close();
    const printer = printerAt(closed.address);
    const err = await rejection(printer.print(DOC));
    expect(err.code).toBe('OFFLINE');
    expect(err.message).toContain(`tcp://127.0.0.1:${closed.address.port}`);
    expect(err.message).toMatch(/switched on/);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.cashierMessage('zh-CN')).toContain('未连接');
  });

  test('paper running out mid-job is PAPER_OUT after printing, and the reprint is whole', async ({
    sim,
    printer,
  }) => {
    sim.setState({ paperOutAfterBytes: 40 });
    const err = await rejection(printer.print(DOC));
    expect(err.code).toBe('PAPER_OUT');
    expect(err.message).toMatch(/after printing/);
    // Part of it reached the paper; the rest (and the cut) fell on the floor.
    expect(sim.pending.lines.length).toBeGreaterThan(0);
    expect(sim.counters.discardedBytes).toBeGreaterThan(0);
    expect(sim.receipts).toEqual([]);
    sim.setState({ paperOut: false });
    await printer.print(DOC);
    const [receipt] = await sim.waitForReceipts(1, WAIT_MS);
    expect(receipt?.qrs.map((q) => q.data)).toEqual(['https://suanpan.example/r/0042']);
  });

  test('the printer dropping the connection mid-job is OFFLINE; the next print reconnects', async ({
    sim,
    printer,
  }) => {
    const err = await rejection(printer.print(DOC, { onFirstByte: () => sim.disconnectAll() }));
    expect(err.code).toBe('OFFLINE');
    expect(sim.receipts).toEqual([]);
    const result = await printer.print(DOC);
    expect(result.status).toEqual(HEALTHY);
    expect(await sim.waitForReceipts(1, WAIT_MS)).toHaveLength(1);
    expect(sim.stats.connections).toBe(2);
  });
});

describe('what the cashier is told', () => {
  const CODES: PrinterErrorCode[] = [
    'PAPER_OUT',
    'COVER_OPEN',
    'OFFLINE',
    'TIMEOUT',
    'GARBLED',
    'PRINTER_ERROR',
    'UNPRINTABLE',
    'FONT_MISSING',
    'BAD_ADDRESS',
    'UNAVAILABLE',
  ];

  test('each code has its own message in Chinese and in English', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const messages = CODES.map((code) => new PrinterError(code, 'detail').cashierMessage(locale));
      for (const m of messages) expect(m.trim().length).toBeGreaterThan(5);
      expect(new Set(messages).size).toBe(CODES.length);
    }
    for (const code of CODES) {
      const err = new PrinterError(code, 'technical detail');
      expect(err.cashierMessage('zh-CN')).not.toBe(err.cashierMessage('en'));
      expect(err.cashierMessage('zh-CN')).toMatch(/[\u4e00-\u9fff]/);
      expect(err.cashierMessage()).toBe(err.cashierMessage('zh-CN'));
      // The technical detail is for logs, not for the counter.
      expect(err.cashierMessage('en')).not.toContain('technical detail');
    }
  });
});

describe('a Star Line Mode printer (star-80): ENQ then EOT', () => {
  const STAR_OK = { ENQ: 0x00, EOT: 0x10 };
  const STAR_DOC: PrintDocument = { cut: true, blocks: [{ kind: 'text', text: 'Lao Wang Noodles' }] };

  test('reads the status with ENQ and EOT, never DLE EOT', async ({ printerAt }) => {
    const star = await fakeStarPrinter({ ...STAR_OK });
    try {
      const printer = printerAt(star.address, { profile: 'star-80' });
      expect(await printer.status()).toEqual({ ...HEALTHY, raw: { ENQ: 0x00, EOT: 0x10 } });
      expect(star.inbox.bytes).toEqual([0x05, 0x04]);
    } finally {
      await star.close();
    }
  });

  test('opens the drawer with the Star pulse command, not ESC p', async ({ printerAt }) => {
    const star = await fakeStarPrinter({ ...STAR_OK });
    try {
      await printerAt(star.address, { profile: 'star-80' }).openDrawer();
      await star.inbox.waitFor(7);
      expect(star.inbox.bytes).toEqual([0x05, 0x04, 0x1b, 0x07, 0x0b, 0x37, 0x07]);
    } finally {
      await star.close();
    }
  });

  test('sends EOT only once ENQ was answered', async ({ printerAt }) => {
    const star = await fakeStarPrinter({ ...STAR_OK });
    try {
      star.fake.holdEnq = true;
      const printer = printerAt(star.address, { profile: 'star-80' });
      const status = printer.status();
      await star.inbox.waitFor(1);
      // Give a driver that would not wait every chance to send EOT now.
      await new Promise((resolve) => setImmediate(resolve));
      expect(star.inbox.bytes).toEqual([0x05]);
      star.release();
      expect((await status).online).toBe(true);
      expect(star.inbox.log).toEqual(['rx 05', 'tx 00', 'rx 04', 'tx 10']);
    } finally {
      await star.close();
    }
  });

  test.for([
    ['ENQ bit 3: paper end', { ENQ: 0x08 }, 'PAPER_OUT', /paper out/],
    ['EOT bit 3: paper end', { EOT: 0x18 }, 'PAPER_OUT', /paper out/],
    ['ENQ bit 2: other error', { ENQ: 0x04 }, 'PRINTER_ERROR', /cover open or printer error/],
  ] as const)('%s refuses the job', async ([, answers, code, message], { printerAt }) => {
    const star = await fakeStarPrinter({ ...STAR_OK, ...answers });
    try {
      const printer = printerAt(star.address, { profile: 'star-80' });
      const err = await rejection(printer.print(STAR_DOC));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(star.inbox.bytes).toEqual([0x05, 0x04]);
    } finally {
      await star.close();
    }
  });

  test('prints between two status reads; near end and the drawer switch do not stop it', async ({
    printerAt,
  }) => {
    const star = await fakeStarPrinter({ ENQ: 0x80, EOT: 0x14 });
    try {
      const printer = printerAt(star.address, { profile: 'star-80' });
      const job = await encodeDocument(STAR_DOC, profileOf('star-80'));
      // The fake answers every 05 and 04 it sees: this job must carry none.
      expect(job.includes(0x05) || job.includes(0x04)).toBe(false);
      const result = await printer.print(STAR_DOC);
      expect(result.status).toMatchObject({
        online: true,
        paperNearEnd: true,
        drawerOpen: true,
        error: false,
      });
      expect(star.inbox.bytes).toEqual([0x05, 0x04, ...job, 0x05, 0x04]);
    } finally {
      await star.close();
    }
  });

  test('no answer to ENQ is TIMEOUT, and EOT is never sent', async ({ printerAt }) => {
    const star = await fakeStarPrinter({});
    try {
      const printer = printerAt(star.address, { profile: 'star-80', statusTimeoutMs: SHORT_TIMEOUT_MS });
      expect((await rejection(printer.status())).code).toBe('TIMEOUT');
      expect(star.inbox.bytes).toEqual([0x05]);
    } finally {
      await star.close();
    }
  });

  test('an answer with the wrong fixed bits is GARBLED', async ({ printerAt }) => {
    // Bit 4 set: an EOT answer (or an ESC/POS one), not ENQ's.
    const star = await fakeStarPrinter({ ENQ: 0x12, EOT: 0x10 });
    try {
      const printer = printerAt(star.address, { profile: 'star-80', statusTimeoutMs: SHORT_TIMEOUT_MS });
      const err = await rejection(printer.status());
      expect(err.code).toBe('GARBLED');
      expect(err.message).toMatch(/Star Line Mode/);
    } finally {
      await star.close();
    }
  });
});

/** A link whose printer answers status but stops taking print data (paper out mid-job on usblp). */
class StalledLink extends BaseTransport {
  readonly description = 'test:stalled';
  private pending: (() => void)[] = [];
  protected async doOpen(): Promise<void> {}
  protected doWrite(data: Uint8Array): Promise<void> {
    const isStatusRequest = data.length === 12 && data[0] === 0x10;
    if (isStatusRequest) {
      setImmediate(() => this.received(Buffer.from([0x12, 0x12, 0x12, 0x12])));
      return Promise.resolve();
    }
    return new Promise((_, reject) =>
      this.pending.push(() => reject(new TransportError('CLOSED', 'closed while writing'))),
    );
  }
  protected async doClose(): Promise<void> {
    for (const fail of this.pending.splice(0)) fail();
  }
}

describe('a printer that stops taking data', () => {
  base('the job fails with TIMEOUT past its write deadline and the link is closed, not hung', async () => {
    const link = new StalledLink();
    const printer = new Printer({
      transport: link,
      profile: profileOf('epson-80'),
      writeDeadline: { baseMs: 50, msPerByte: 0 },
    });
    await expect(
      printer.print({ cut: true, blocks: [{ kind: 'text', text: 'Total 12.50' }] }),
    ).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('did not take'),
    });
    expect(link.isOpen).toBe(false);
    await printer.close();
  });
});
