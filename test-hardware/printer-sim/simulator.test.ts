/**
 * The simulator on real transports: loopback TCP sockets from `node:net` and a real PTY pair made by
 * `socat`, the way the printer driver will meet it.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { test as base, describe, expect } from 'vitest';
import { openPtyPair, PTY_SKIP_REASON, SKIP_PTY } from '../pty.ts';
import { parseTcpAddress, runPrinterSimulator } from './run.ts';
import { PrinterSimulator, type TcpAddress } from './simulator.ts';
import {
  bytes,
  CHINESE_ON,
  CUT_FULL,
  CUT_PARTIAL_FEED,
  drawer,
  feedLines,
  gb18030,
  INIT,
  LF,
  qr,
  statusRequest,
} from './test-bytes.ts';

/** How long a test waits for bytes or receipts that should come at once over loopback. */
const WAIT_MS = 5_000;

/** A "driver" end: a raw TCP or serial connection that collects every byte the printer answers. */
interface Peer {
  write(data: Uint8Array): void;
  /** Resolves with the first `n` bytes received (all of them so far). */
  read(n: number): Promise<number[]>;
  received: number[];
}

function collect(
  onData: (listener: (chunk: Buffer) => void) => void,
  write: (data: Uint8Array) => void,
): Peer {
  const received: number[] = [];
  const waiters: (() => void)[] = [];
  onData((chunk) => {
    received.push(...chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    received,
    write,
    read: (n) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} byte(s), got [${received.join(', ')}]`)),
          WAIT_MS,
        );
        const check = (): void => {
          if (received.length >= n) {
            clearTimeout(timer);
            resolve(received.slice(0, n));
          } else waiters.push(check);
        };
        check();
      }),
  };
}

async function connect(address: TcpAddress): Promise<Peer & { socket: net.Socket }> {
  const socket = net.connect(address);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    ...collect(
      (l) => socket.on('data', l),
      (d) => socket.write(d),
    ),
  };
}

const test = base.extend<{ tmpDir: string; sim: PrinterSimulator; address: TcpAddress }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  tmpDir: async ({}, use) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'printer-sim-'));
    await use(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  },
  sim: async ({ tmpDir }, use) => {
    const sim = new PrinterSimulator({ pngDir: path.join(tmpDir, 'png'), paperWidthDots: 384 });
    await sim.start();
    await use(sim);
    await sim.stop();
  },
  address: async ({ sim }, use) => {
    await use(await sim.listenTcp({ host: '127.0.0.1', port: 0 }));
  },
});

const JOB = bytes(
  INIT,
  CHINESE_ON,
  gb18030('收银小票'),
  LF,
  'Total 12.50',
  LF,
  qr('T-0042'),
  feedLines(3),
  drawer(0, 25, 25),
  drawer(1, 25, 25),
  CUT_PARTIAL_FEED,
);

describe('TCP', () => {
  test('answers DLE EOT on the same socket at once, prints the receipt, writes its PNG', async ({
    sim,
    address,
  }) => {
    const client = await connect(address);
    client.write(bytes(statusRequest(1), statusRequest(2), statusRequest(3), statusRequest(4)));
    expect(await client.read(4)).toEqual([0x12, 0x12, 0x12, 0x12]);

    client.write(JOB);
    const [receipt] = await sim.waitForReceipts(1, WAIT_MS);
    expect(receipt?.lines.slice(0, 2).map((l) => l.text)).toEqual(['收银小票', 'Total 12.50']);
    expect(receipt?.qrs.map((q) => q.data)).toEqual(['T-0042']);
    expect(sim.drawerPulses.map((p) => p.pin)).toEqual([2, 5]);

    await sim.flush();
    const png = fs.readFileSync(sim.pngPath(0) ?? '');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(sim.stats).toMatchObject({ bytesReceived: 12 + JOB.length, bytesSent: 4, pngsWritten: 1 });
    client.socket.destroy();
  });

  test('a driver that reconnects continues the same printer; disconnectAll unplugs it', async ({
    sim,
    address,
  }) => {
    const seen: number[] = [];
    const off = sim.onReceipt((r) => seen.push(r.index));
    const first = await connect(address);
    first.write(bytes(INIT, 'one', LF, CUT_FULL));
    await sim.waitForReceipts(1, WAIT_MS);
    first.socket.end();

    const second = await connect(address);
    const closed = new Promise((resolve) => second.socket.once('close', resolve));
    second.write(bytes(INIT, 'two', LF, CUT_FULL, statusRequest(1)));
    await second.read(1);
    expect(sim.disconnectAll()).toBe(1);
    await closed;

    const third = await connect(address);
    third.write(bytes('three', LF, CUT_FULL));
    const receipts = await sim.waitForReceipts(3, WAIT_MS);
    expect(receipts.map((r) => r.lines[0]?.text)).toEqual(['one', 'two', 'three']);
    expect(seen).toEqual([0, 1, 2]);
    expect(sim.stats.connections).toBe(3);
    off();
    third.socket.destroy();
  });

  test('paper runs out after N bytes mid-job: the rest is discarded and DLE EOT says paper end', async ({
    sim,
    address,
  }) => {
    const head = bytes(INIT, 'line 1', LF, 'line 2', LF);
    sim.setState({ paperOutAfterBytes: head.length });
    const client = await connect(address);
    client.write(bytes(head, 'line 3', LF, CUT_FULL, statusRequest(4), statusRequest(1), statusRequest(2)));
    expect(await client.read(3)).toEqual([0x7e, 0x1a, 0x32]);
    expect(sim.receipts).toEqual([]);
    expect(sim.pending.lines.map((l) => l.text)).toEqual(['line 1', 'line 2']);
    expect(sim.counters.discardedBytes).toBe('line 3'.length + 1 + CUT_FULL.length);
    expect(sim.state.paperOut).toBe(true);
    await expect(sim.waitForReceipts(1, 50)).rejects.toMatchObject({ code: 'TIMEOUT' });

    // New paper: the job is sent again and printed.
    sim.setState({ paperOut: false });
    client.write(bytes(INIT, 'reprint', LF, CUT_FULL, statusRequest(4)));
    expect(await client.read(4)).toEqual([0x7e, 0x1a, 0x32, 0x12]);
    const [receipt] = await sim.waitForReceipts(1, WAIT_MS);
    expect(receipt?.lines.map((l) => l.text)).toEqual(['line 1', 'line 2', 'reprint']);
    client.socket.destroy();
  });

  test('silent: a status request gets no answer at all', async ({ sim, address }) => {
    sim.setState({ paperOut: true, silent: true });
    const client = await connect(address);
    client.write(bytes(statusRequest(1)));
    // Wait until the simulator has decoded the silent request, then make it talk again: the first
    // byte that arrives must be the answer to the later request (TCP keeps order).
    await expect.poll(() => sim.counters.statusRequests, { timeout: WAIT_MS }).toBe(1);
    sim.setState({ silent: false });
    client.write(bytes(statusRequest(4)));
    expect(await client.read(1)).toEqual([0x7e]);
    expect(sim.counters.statusAnswers).toBe(1);
    client.socket.destroy();
  });

  test('stop() fails a pending wait with STOPPED; NOT_STARTED before start()', async () => {
    const sim = new PrinterSimulator();
    await expect(sim.listenTcp()).rejects.toMatchObject({ code: 'NOT_STARTED' });
    await sim.start();
    const waiting = sim.waitForReceipts(1, WAIT_MS);
    await sim.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('runPrinterSimulator', () => {
  test('listens on the address given and stops', async ({ tmpDir }) => {
    const pino = (await import('pino')).default;
    const running = await runPrinterSimulator({
      tcp: '127.0.0.1:0',
      pngDir: tmpDir,
      log: pino({ level: 'silent' }),
    });
    expect(running.address.port).toBeGreaterThan(0);
    const client = await connect(running.address);
    client.write(bytes(INIT, 'hello', LF, CUT_FULL));
    await running.simulator.waitForReceipts(1, WAIT_MS);
    await running.stop();
    expect(fs.existsSync(path.join(tmpDir, 'receipt-1.png'))).toBe(true);
  });

  test('parses host:port and [v6]:port, and names the accepted form otherwise', () => {
    expect(parseTcpAddress('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseTcpAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    for (const bad of ['9100', 'localhost', 'host:99999', '::1:9100', 'a:b']) {
      expect(() => parseTcpAddress(bad), bad).toThrow(/expected host:port/);
    }
  });
});

if (SKIP_PTY) console.warn(`Skipping the serial PTY test: ${PTY_SKIP_REASON}`);

describe('serial PTY', () => {
  test.skipIf(SKIP_PTY)('over a socat PTY pair (needs the Debian package socat)', async ({ sim, tmpDir }) => {
    const pty = await openPtyPair(tmpDir);
    const printerEnd = pty.deviceEnd;
    const driverEnd = pty.driverEnd;
    const driver = new SerialPort({ path: driverEnd, baudRate: 9600, autoOpen: false });
    try {
      await sim.openSerial(printerEnd, { baudRate: 9600 });
      await new Promise<void>((resolve, reject) => driver.open((err) => (err ? reject(err) : resolve())));
      const peer = collect(
        (l) => driver.on('data', l),
        (d) => driver.write(Buffer.from(d)),
      );

      sim.setState({ coverOpen: true });
      peer.write(bytes(statusRequest(1), statusRequest(2), statusRequest(3)));
      expect(await peer.read(3)).toEqual([0x1a, 0x16, 0x52]);

      sim.setState({ coverOpen: false });
      peer.write(JOB);
      peer.write(bytes(statusRequest(1)));
      const [receipt] = await sim.waitForReceipts(1, WAIT_MS);
      expect(receipt?.lines[0]?.text).toBe('收银小票');
      expect(await peer.read(4)).toEqual([0x1a, 0x16, 0x52, 0x12]);
    } finally {
      if (driver.isOpen) await new Promise((resolve) => driver.close(resolve));
      await sim.stop();
      await pty.close();
    }
  });
});
