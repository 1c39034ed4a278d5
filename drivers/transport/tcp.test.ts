/**
 * TcpTransport against real sockets: a `node:net` server on 127.0.0.1 plays the printer's raw port.
 * Each test checks one rule of the Transport contract (transport.ts) as the driver would meet it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { test as base, describe, expect } from 'vitest';
import { TcpTransport } from './tcp.ts';
import { recordEvents as record } from './testing.ts';
import { TransportError } from './transport.ts';

/** How long a test waits for something that should happen at once over loopback. */
const WAIT_MS = 5_000;
const poll = { timeout: WAIT_MS, interval: 5 };

/** The printer's end of one connection. */
interface Peer {
  socket: net.Socket;
  /** Every byte the printer has received, in order. */
  bytes(): Buffer;
  /** True once the connection is gone on the printer's side. */
  readonly closed: boolean;
}

/** A raw printing port on 127.0.0.1 (port 0: the OS picks one) that keeps every connection. */
class RawPortServer {
  readonly peers: Peer[] = [];
  private readonly server = net.createServer((socket) => this.accept(socket));

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The printer's end of the n-th connection (0-based), once it has been accepted. */
  async peer(n: number): Promise<Peer> {
    await expect.poll(() => this.peers.length, poll).toBeGreaterThan(n);
    return this.peers[n] as Peer;
  }

  async stop(): Promise<void> {
    for (const { socket } of this.peers) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(socket: net.Socket): void {
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
    });
    this.peers.push({
      socket,
      bytes: () => Buffer.concat(chunks),
      get closed() {
        return closed;
      },
    });
  }
}

/** Records what a transport emits. */
/** A port on 127.0.0.1 with nothing listening: listen on port 0, note the port, close. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const test = base.extend<{ printer: RawPortServer; port: number; transport: TcpTransport }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  printer: async ({}, use) => {
    const printer = new RawPortServer();
    await use(printer);
    await printer.stop();
  },
  port: async ({ printer }, use) => {
    await use(await printer.listen());
  },
  transport: async ({ port }, use) => {
    const transport = new TcpTransport({ host: '127.0.0.1', port });
    await use(transport);
    await transport.close();
  },
});

describe('TcpTransport', () => {
  test('opens, writes, and the printer’s answers come back as data events', async ({
    printer,
    port,
    transport,
  }) => {
    const seen = record(transport);
    expect(transport.description).toBe(`tcp://127.0.0.1:${port}`);
    expect(transport.isOpen).toBe(false);

    await transport.open();
    expect(transport.isOpen).toBe(true);
    const peer = await printer.peer(0);
    peer.socket.on('data', (chunk) => peer.socket.write(chunk)); // echo, like a status answer

    await transport.write(Buffer.from([0x10, 0x04, 0x01]));
    await transport.write(new Uint8Array([0x1b, 0x40]));
    await expect.poll(() => peer.bytes().toString('hex'), poll).toBe('1004011b40');
    await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('1004011b40');
    expect(seen.closes).toEqual([]);
  });

  test('overlapping writes arrive whole and in call order', async ({ printer, transport }) => {
    await transport.open();
    const peer = await printer.peer(0);
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      // A large write in the middle: it cannot be handed to the kernel in one go.
      parts.push(i === 150 ? Buffer.alloc(4 << 20, i % 256) : Buffer.from(`line ${i}\n`));
    }
    await Promise.all(parts.map((part) => transport.write(part)));
    const expected = Buffer.concat(parts);
    await expect.poll(() => peer.bytes().length, poll).toBe(expected.length);
    expect(peer.bytes().equals(expected)).toBe(true);
  });

  test('answers arrive in order, however the network chunks them', async ({ printer, transport }) => {
    const seen = record(transport);
    await transport.open();
    const peer = await printer.peer(0);
    const answer = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    peer.socket.write(answer.subarray(0, 1));
    peer.socket.write(answer.subarray(1, 3000));
    peer.socket.write(answer.subarray(3000));
    await expect.poll(() => Buffer.concat(seen.data).length, poll).toBe(answer.length);
    expect(Buffer.concat(seen.data).equals(answer)).toBe(true);
  });

  test('close(): one close event without an error; idempotent; the printer sees the end', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    const peer = await printer.peer(0);

    await transport.close();
    expect(transport.isOpen).toBe(false);
    expect(seen.closes).toEqual([undefined]);

    await transport.close();
    await Promise.all([transport.close(), transport.close()]);
    await expect.poll(() => peer.closed, poll).toBe(true);
    expect(seen.closes).toEqual([undefined]);

    const write = transport.write(Buffer.from('late'));
    await expect(write).rejects.toBeInstanceOf(TransportError);
    await expect(write).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('close() after a write: every byte written reaches the printer', async ({ printer, transport }) => {
    await transport.open();
    const peer = await printer.peer(0);
    const job = Buffer.alloc(2 << 20, 0x41);
    await transport.write(job);
    await transport.close();
    await expect.poll(() => peer.closed, poll).toBe(true);
    expect(peer.bytes().length).toBe(job.length);
  });

  test.for([
    ['closes the connection (FIN)', (socket: net.Socket) => socket.destroy()],
    ['resets the connection (RST)', (socket: net.Socket) => socket.resetAndDestroy()],
  ] as const)(
    'the printer %s: one close event with DISCONNECTED',
    async ([, drop], { printer, transport }) => {
      const seen = record(transport);
      await transport.open();
      drop((await printer.peer(0)).socket);

      await expect.poll(() => seen.closes.length, poll).toBe(1);
      expect(seen.closes[0]).toBeInstanceOf(TransportError);
      expect(seen.closes[0]?.code).toBe('DISCONNECTED');
      expect(seen.closes[0]?.message).toContain(transport.description);
      expect(transport.isOpen).toBe(false);
      await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });

      await transport.close(); // nothing left to close: no second event
      expect(seen.closes).toHaveLength(1);
    },
  );

  test('writes pending when the link drops reject with CLOSED', async ({ printer, transport }) => {
    const seen = record(transport);
    await transport.open();
    const peer = await printer.peer(0);
    peer.socket.pause(); // a jammed printer: stops reading, the kernel buffers fill up

    // 64 MiB cannot all fit in the loopback socket buffers, so the last writes stay pending.
    const job = Buffer.alloc(16 << 20, 0x41);
    const writes = Promise.allSettled([1, 2, 3, 4].map(() => transport.write(job)));
    await expect.poll(() => peer.socket.bytesRead, poll).toBeGreaterThan(0);
    peer.socket.resetAndDestroy();

    const results = await writes;
    expect(results.at(-1)?.status).toBe('rejected');
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(TransportError);
        expect(result.reason.code).toBe('CLOSED');
      }
    }
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
  });

  test('reopens after a drop: a new connection, and one close event per open', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    (await printer.peer(0)).socket.destroy();
    await expect.poll(() => seen.closes.length, poll).toBe(1);

    await transport.open();
    expect(transport.isOpen).toBe(true);
    const second = await printer.peer(1);
    await transport.write(Buffer.from('again'));
    await expect.poll(() => second.bytes().toString(), poll).toBe('again');
    second.socket.write(Buffer.from([0x12]));
    await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('12');

    second.socket.destroy();
    await expect.poll(() => seen.closes.length, poll).toBe(2);
    expect(seen.closes.map((err) => err?.code)).toEqual(['DISCONNECTED', 'DISCONNECTED']);
  });

  test('open() on an open or opening transport makes no second connection', async ({
    printer,
    transport,
  }) => {
    await Promise.all([transport.open(), transport.open()]);
    await transport.open();
    await transport.write(Buffer.from('one'));
    await transport.close();
    // Every connection the printer accepted must end with close(): a second one would linger.
    await expect
      .poll(() => printer.peers.length > 0 && printer.peers.every((peer) => peer.closed), {
        ...poll,
        message: 'every connection the printer accepted has been closed',
      })
      .toBe(true);
    expect(printer.peers).toHaveLength(1);
  });

  test('open() during close() waits for the close, then opens a new connection', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    const closing = transport.close();
    await transport.open();
    await closing;
    expect(transport.isOpen).toBe(true);
    expect(seen.closes).toEqual([undefined]);
    await transport.write(Buffer.from('after'));
    await expect.poll(async () => (await printer.peer(1)).bytes().toString(), poll).toBe('after');
    expect((await printer.peer(0)).closed).toBe(true);
  });

  test('a refused connection: CONNECT_FAILED, and nothing is left open', async () => {
    const transport = new TcpTransport({ host: '127.0.0.1', port: await closedPort() });
    const seen = record(transport);
    const open = transport.open();
    await expect(open).rejects.toBeInstanceOf(TransportError);
    await expect(open).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    await expect(open).rejects.toThrow(transport.description);
    expect(transport.isOpen).toBe(false);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    await transport.close();
    expect(seen.closes).toEqual([]);
  });
});

describe('TcpTransport connect timeout', () => {
  /**
   * A port that never answers a SYN: a listener in another process with a backlog of 1 that never
   * accepts (it blocks in Atomics.wait). Linux queues backlog + 1 connections, then drops further SYNs,
   * the way a powered-off printer behind a switch leaves a connect hanging.
   */
  const silent = base.extend<{ silentPort: number }>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
    silentPort: async ({}, use) => {
      const listener: ChildProcess = spawn(
        process.execPath,
        [
          '-e',
          `const s = require('net').createServer();
           s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
             process.stdout.write(s.address().port + '\\n');
             Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
           });`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise((resolve) => listener.once('exit', resolve));
      const fillers: net.Socket[] = [];
      try {
        const stdout = readline.createInterface({ input: listener.stdout as NodeJS.ReadableStream });
        const port = Number(await new Promise<string>((resolve) => stdout.once('line', resolve)));
        for (let i = 0; i < 2; i++) {
          const filler = net.connect({ host: '127.0.0.1', port });
          fillers.push(filler);
          await new Promise((resolve, reject) => filler.once('connect', resolve).once('error', reject));
        }
        await use(port);
      } finally {
        for (const filler of fillers) filler.destroy();
        listener.kill('SIGKILL');
        await exited;
      }
    },
  });

  silent('no answer within connectTimeoutMs: TIMEOUT, and nothing is left open', async ({ silentPort }) => {
    const transport = new TcpTransport({ host: '127.0.0.1', port: silentPort, connectTimeoutMs: 300 });
    const seen = record(transport);
    const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    const before = sockets();
    const open = transport.open();
    await expect(open).rejects.toBeInstanceOf(TransportError);
    await expect(open).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(open).rejects.toThrow(/within 300 ms/);
    expect(transport.isOpen).toBe(false);
    // The half-made connection is given up, not left retrying its SYN in the background.
    await expect.poll(sockets, { ...poll, message: 'open TCP sockets' }).toBe(before);
    await transport.close();
    expect(seen.closes).toEqual([]);
  });
});
