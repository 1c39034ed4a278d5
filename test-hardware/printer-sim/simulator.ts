/**
 * A simulated ESC/POS receipt printer on real transports: a TCP port (raw 9100-style) and a serial
 * port (one end of a `socat` PTY pair). Bytes from every transport feed one decoder, as they would
 * one printer; status requests are answered on the connection they came from, at once.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { SerialPort } from 'serialport';
import { PrinterSimError } from './errors.ts';
import { type DecoderCounters, type DecoderEvent, EscPosDecoder } from './escpos-decoder.ts';
import { hex } from './escpos-parser.ts';
import { type PrinterConditions, PrinterState } from './printer-state.ts';
import type { DrawerPulse, Receipt } from './receipt-model.ts';
import { loadReceiptFont, renderReceiptPng } from './render.ts';
import { SimulatedPrinterTransport } from './sim-transport.ts';

export interface PrinterSimulatorOptions {
  /** Default: silent. The simulator logs through a child `{ module: 'printer-sim' }`. */
  log?: Logger;
  /**
   * When set, each receipt cut off is rendered to `<pngDir>/receipt-<n>.png`, n = 1 for the first
   * (receipt index 0). The folder is created by `start()`, which also checks the font.
   */
  pngDir?: string;
  /** Print width for the PNGs: 576 (80 mm paper, default) or 384 (58 mm). */
  paperWidthDots?: 384 | 576;
  /** CJK font for the PNGs; default Noto Sans CJK from `fonts-noto-cjk`. */
  fontPath?: string;
  /** Conditions at power-up; default a healthy printer. */
  initialState?: Partial<PrinterConditions>;
  /** Whether the printer powers up in Chinese mode (see `EscPosParserOptions`); default false. */
  chineseModeAtPowerUp?: boolean;
}

export interface TcpAddress {
  host: string;
  port: number;
}

export interface SerialOptions {
  /** Default 9600: a PTY ignores it, but a real port opened through this would not. */
  baudRate?: number;
}

/** Transport-level counts since the simulator was constructed. */
export interface SimulatorStats {
  bytesReceived: number;
  /** Status answers written back. */
  bytesSent: number;
  /** TCP connections accepted. */
  connections: number;
  /** TCP connections and serial ports open now. */
  openConnections: number;
  pngsWritten: number;
  /** Receipts whose PNG could not be rendered or written (logged at warn). */
  pngErrors: number;
}

interface ReceiptWaiter {
  count: number;
  resolve: (receipts: Receipt[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Lifecycle: the constructor only assigns; `start()` prepares (PNG folder, font); `listenTcp` and
 * `openSerial` attach transports and may be called several times; `stop()` closes every server,
 * connection and port, fails pending `waitForReceipts` with STOPPED and waits for PNG writes.
 *
 * Contract:
 * - The decoder, the state and every receipt survive connections: a driver that reconnects
 *   continues the same printer (and the same half-received command, as a real printer would).
 * - Status requests are answered on the transport that carried them, right after the chunk that
 *   held them is decoded, with the state at the moment each was decoded. `silent` answers nothing.
 * - While the printer is offline (no paper, cover open, offline) everything but real-time commands
 *   is discarded.
 * - Several TCP clients may connect at once, but their bytes meet in one decoder: interleaved jobs
 *   garble each other, as they would on a printer that accepted both.
 */
export class PrinterSimulator {
  private readonly log: Logger;
  private readonly printer: PrinterState;
  private readonly decoder: EscPosDecoder;
  private started = false;
  private readonly servers = new Set<net.Server>();
  private readonly sockets = new Set<net.Socket>();
  private readonly ports = new Set<SerialPort>();
  private readonly links = new Set<SimulatedPrinterTransport>();
  private readonly receiptListeners = new Set<(receipt: Receipt) => void>();
  private readonly waiters = new Set<ReceiptWaiter>();
  private readonly pngWrites = new Set<Promise<void>>();
  private readonly counts: Omit<SimulatorStats, 'openConnections'> = {
    bytesReceived: 0,
    bytesSent: 0,
    connections: 0,
    pngsWritten: 0,
    pngErrors: 0,
  };

  constructor(private readonly options: PrinterSimulatorOptions = {}) {
    this.log = (options.log ?? pino({ level: 'silent' })).child({ module: 'printer-sim' });
    this.printer = new PrinterState(options.initialState);
    this.decoder = new EscPosDecoder({
      control: this.printer,
      chineseModeAtPowerUp: options.chineseModeAtPowerUp ?? false,
    });
  }

  /** Creates the PNG folder and loads the font when `pngDir` is set. Throws FONT_MISSING, ALREADY_STARTED. */
  async start(): Promise<void> {
    if (this.started)
      throw new PrinterSimError('ALREADY_STARTED', 'Cannot start the printer simulator twice');
    if (this.options.pngDir) {
      loadReceiptFont(this.options.fontPath);
      await fs.mkdir(this.options.pngDir, { recursive: true });
    }
    this.started = true;
  }

  /** Closes every transport, fails pending waits with STOPPED, waits for PNG writes. Idempotent. */
  async stop(): Promise<void> {
    this.started = false;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new PrinterSimError('STOPPED', 'The printer simulator was stopped while waiting for receipts'),
      );
    }
    this.waiters.clear();
    const closing: Promise<unknown>[] = [];
    for (const server of this.servers) {
      closing.push(new Promise((resolve) => server.close(resolve)));
    }
    this.servers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const link of [...this.links]) link.unplug();
    for (const port of this.ports) {
      closing.push(
        new Promise<void>((resolve) => {
          port.removeAllListeners('data');
          if (!port.isOpen) return resolve();
          port.close(() => resolve());
        }),
      );
    }
    this.ports.clear();
    await Promise.all(closing);
    await this.flush();
  }

  /**
   * Listens for raw TCP print connections (port 0: any free port) and resolves with the address
   * bound. Throws NOT_STARTED, LISTEN_FAILED.
   */
  async listenTcp(address: { host?: string; port?: number } = {}): Promise<TcpAddress> {
    this.assertStarted('listen on TCP');
    const host = address.host ?? '127.0.0.1';
    const port = address.port ?? 0;
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      throw new PrinterSimError('LISTEN_FAILED', `The printer simulator cannot listen on ${host}:${port}`, {
        cause: err,
      });
    }
    // Accept failures (EMFILE …) only cost that connection.
    server.on('error', (err) => this.log.warn({ err }, 'TCP server error'));
    this.servers.add(server);
    const bound = server.address() as net.AddressInfo;
    this.log.info({ host: bound.address, port: bound.port }, 'printer simulator listening');
    return { host: bound.address, port: bound.port };
  }

  /**
   * Opens `path` (e.g. one link of a `socat` PTY pair) as the printer's serial port. Throws
   * NOT_STARTED, SERIAL_OPEN_FAILED (the port is left closed).
   */
  async openSerial(portPath: string, options: SerialOptions = {}): Promise<void> {
    this.assertStarted('open a serial port');
    const port = new SerialPort({ path: portPath, baudRate: options.baudRate ?? 9600, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw new PrinterSimError(
        'SERIAL_OPEN_FAILED',
        `The printer simulator cannot open the serial port ${portPath}`,
        {
          cause: err,
        },
      );
    }
    this.ports.add(port);
    port.on('data', (chunk: Buffer) =>
      this.receive(chunk, (answer) => {
        port.write(Buffer.from(answer));
      }),
    );
    port.on('error', (err) => this.log.warn({ err, path: portPath }, 'serial port error'));
    port.on('close', () => this.ports.delete(port));
    this.log.info({ path: portPath }, 'printer simulator on serial port');
  }

  /** Simulates pulling the network cable: destroys every open TCP connection (servers keep listening). */
  disconnectAll(): number {
    const n = this.sockets.size + this.links.size;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const link of [...this.links]) link.unplug();
    return n;
  }

  /** Changes the printer's conditions, e.g. `{ paperOut: true }` or `{ paperOutAfterBytes: 200 }`. */
  setState(partial: Partial<PrinterConditions>): void {
    this.printer.set(partial);
    this.log.info({ state: this.printer.snapshot }, 'printer state changed');
  }

  get state(): Readonly<PrinterConditions> {
    return this.printer.snapshot;
  }

  /** Receipts cut off so far, oldest first (a live view). */
  get receipts(): readonly Receipt[] {
    return this.decoder.receipts;
  }

  /** What was printed since the last cut. */
  get pending(): Receipt {
    return this.decoder.pending;
  }

  get drawerPulses(): readonly DrawerPulse[] {
    return this.decoder.drawerPulses;
  }

  /** Decoder counts: bytes, characters, unknown commands, status requests, discarded bytes … */
  get counters(): Readonly<DecoderCounters> {
    return this.decoder.counters;
  }

  get stats(): Readonly<SimulatorStats> {
    return { ...this.counts, openConnections: this.sockets.size + this.ports.size };
  }

  /** The mask of the last `GS a n` received, if any (recorded; the 4-byte status back is not sent). */
  get autoStatusBack(): number | undefined {
    return this.decoder.autoStatusBack;
  }

  /** The PNG path of receipt `index` (0-based), when `pngDir` is set. */
  pngPath(index: number): string | undefined {
    return this.options.pngDir ? path.join(this.options.pngDir, `receipt-${index + 1}.png`) : undefined;
  }

  /** Calls `listener` with each receipt as it is cut off; returns a function that removes it. */
  onReceipt(listener: (receipt: Receipt) => void): () => void {
    this.receiptListeners.add(listener);
    return () => {
      this.receiptListeners.delete(listener);
    };
  }

  /**
   * Resolves with the receipts once at least `count` have been cut off (at once if they already
   * have). Rejects with TIMEOUT after `timeoutMs`, or STOPPED.
   */
  waitForReceipts(count: number, timeoutMs: number): Promise<Receipt[]> {
    if (this.receipts.length >= count) return Promise.resolve([...this.receipts]);
    return new Promise((resolve, reject) => {
      const waiter: ReceiptWaiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const pending = this.pending;
          reject(
            new PrinterSimError(
              'TIMEOUT',
              `Expected ${count} receipt(s) within ${timeoutMs} ms, got ${this.receipts.length}; since the last cut: ` +
                `${pending.lines.length} line(s), ${pending.qrs.length} QR code(s), unprinted text "${this.decoder.currentLine}"` +
                `${this.printer.printing ? '' : ' (the printer is offline: print data is discarded)'}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves when every PNG started so far is written. */
  async flush(): Promise<void> {
    while (this.pngWrites.size > 0) await Promise.all([...this.pngWrites]);
  }

  /**
   * A link to this printer through the drivers' Transport interface, without a socket (the
   * simulator "implements the same transport interface"). `disconnectAll()` unplugs it too.
   */
  transport(): SimulatedPrinterTransport {
    return new SimulatedPrinterTransport({
      feed: (chunk, reply) => this.receive(chunk, reply),
      running: () => this.started,
      opened: (link) => {
        this.counts.connections += 1;
        this.links.add(link);
        link.once('close', () => this.links.delete(link));
      },
    });
  }

  private assertStarted(action: string): void {
    if (!this.started) {
      throw new PrinterSimError('NOT_STARTED', `Cannot ${action}: the printer simulator is not started`);
    }
  }

  private accept(socket: net.Socket): void {
    if (!this.started) {
      socket.destroy();
      return;
    }
    this.counts.connections += 1;
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log.info({ peer }, 'print connection opened');
    socket.on('data', (chunk: Buffer) =>
      this.receive(chunk, (answer) => {
        if (!socket.destroyed) socket.write(answer);
      }),
    );
    // A client that resets the connection is a driver test doing its job, not a simulator fault.
    socket.on('error', (err) => this.log.debug({ err, peer }, 'print connection error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.log.info({ peer }, 'print connection closed');
    });
  }

  private receive(chunk: Uint8Array, reply: (answer: Uint8Array) => void): void {
    this.counts.bytesReceived += chunk.length;
    this.log.debug({ bytes: Buffer.from(chunk).toString('hex') }, 'received');
    const answers: number[] = [];
    for (const event of this.decoder.push(chunk)) {
      if (event.type === 'status-request' && event.answer !== undefined) answers.push(event.answer);
      this.handle(event);
    }
    if (answers.length > 0) {
      this.counts.bytesSent += answers.length;
      reply(Uint8Array.from(answers));
    }
  }

  private handle(event: DecoderEvent): void {
    switch (event.type) {
      case 'status-request':
        this.log.debug(
          { n: event.n, answer: event.answer === undefined ? 'none' : hex(event.answer) },
          'status request (DLE EOT)',
        );
        break;
      case 'receipt':
        this.completed(event.receipt);
        break;
      case 'drawer-pulse':
        this.log.info({ ...event.pulse }, 'drawer pulse');
        break;
      case 'auto-status-back':
        this.log.info({ mask: event.mask }, 'automatic status back requested (GS a)');
        break;
      case 'unknown':
        this.log.debug(
          { bytes: Buffer.from(event.bytes).toString('hex'), offset: event.offset },
          'unknown bytes',
        );
        break;
      case 'warning':
        this.log.info({ offset: event.offset }, event.message);
        break;
    }
  }

  private completed(receipt: Receipt): void {
    const png = this.pngPath(receipt.index);
    this.log.info(
      {
        receipt: receipt.index,
        cut: receipt.cut,
        lines: receipt.lines.length,
        qrs: receipt.qrs.length,
        images: receipt.images.length,
        png,
      },
      'receipt printed',
    );
    if (png) this.writePng(receipt, png);
    for (const listener of this.receiptListeners) {
      try {
        listener(receipt);
      } catch (err) {
        this.log.warn({ err }, 'a receipt listener threw');
      }
    }
    for (const waiter of this.waiters) {
      if (this.receipts.length >= waiter.count) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve([...this.receipts]);
      }
    }
  }

  private writePng(receipt: Receipt, file: string): void {
    const write = (async () => {
      try {
        const png = renderReceiptPng(receipt, {
          widthDots: this.options.paperWidthDots ?? 576,
          fontPath: this.options.fontPath,
        });
        await fs.writeFile(file, png);
        this.counts.pngsWritten += 1;
      } catch (err) {
        this.counts.pngErrors += 1;
        this.log.warn({ err, file }, 'cannot write the receipt PNG');
      }
    })();
    this.pngWrites.add(write);
    void write.finally(() => this.pngWrites.delete(write));
  }
}
