/**
 * A serial barcode scanner on a real PTY pair (test-hardware/pty.ts): it opens the device end with
 * `serialport` and types each code byte by byte at a scanner's pace, with an optional AIM prefix and
 * a CR, LF or CRLF suffix, the way an RS-232 or USB-serial scanner at 9600 8N1 does. The driver
 * under test opens the other end as `serial:<driverEnd>?baud=9600&suffix=cr`.
 *
 * Faults: noise before a code, a lost suffix (`dropSuffix`, for the inter-byte timeout), and the
 * cable pulled mid-code (`unplugMidCode`, which ends the PTY pair).
 *
 * Timing: byte i of a code is due at `start + i × charDelayMs`, on `performance.now()`, and never
 * goes out more than 0.25 ms before that. Timers have whole-millisecond granularity and fire late on
 * a busy machine, so whatever is due when the simulator wakes goes out in one write: the pace holds
 * on average and the lateness does not add up over a long code.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { SerialPort } from 'serialport';
import { openPtyPair, type PtyPair } from '../pty.ts';
import { ScannerSimError } from './errors.ts';

/** The line ending a scanner sends after each code. */
export type ScanSuffix = 'cr' | 'lf' | 'crlf' | 'none';

export const SCAN_SUFFIXES: readonly ScanSuffix[] = ['cr', 'lf', 'crlf', 'none'];

/** The bytes of each suffix. */
export const SUFFIX_BYTES: Readonly<Record<ScanSuffix, Uint8Array>> = {
  cr: Uint8Array.of(0x0d),
  lf: Uint8Array.of(0x0a),
  crlf: Uint8Array.of(0x0d, 0x0a),
  none: new Uint8Array(0),
};

/** Baud rate of the simulated scanner; the common factory default of serial scanners. */
export const SCANNER_BAUD_RATE = 9600;

/**
 * Default pause between bytes: at 9600 baud 8N1 a byte takes 10 bits / 9600 ≈ 1.04 ms on the wire,
 * and a scanner sends back to back.
 */
export const DEFAULT_CHAR_DELAY_MS = 1;

/**
 * How early a byte may go out: a byte due within this much of now is written with the ones due
 * already, rather than waiting a whole timer tick (Node timers have 1 ms granularity).
 */
const EARLY_TOLERANCE_MS = 0.25;

/**
 * How long `unplugMidCode` lets socat forward the half code before ending the pair. Usually enough;
 * on a starved machine the last bytes may be lost with the cable, as they can be on a real one.
 */
const UNPLUG_SETTLE_MS = 20;

export interface TypeOptions {
  /** Sent after the code; default `cr`. */
  suffix?: ScanSuffix;
  /** Pause between bytes, ≥ 0; default 1 ms (9600 baud). 0 writes the whole code at once. */
  charDelayMs?: number;
  /** AIM symbology identifier sent before the code, e.g. `]Q1`; default none. */
  aim?: string;
  /** Bytes sent before the AIM prefix and the code (line noise, a half code from before). */
  noiseBefore?: Uint8Array;
  /** Leave the suffix off (a scanner that lost it): the driver must end the code by its timeout. */
  dropSuffix?: boolean;
}

export interface TypeResult {
  /** `performance.now()` right after the last byte was written and drained: where latency starts. */
  lastByteAt: number;
  /** Bytes written: noise, AIM prefix, code and suffix. */
  bytesWritten: number;
}

export interface SerialScannerSimulatorOptions {
  /** The PTY pair: the simulator opens `deviceEnd`; `unplugMidCode` closes the pair. */
  pair: PtyPair;
  /** Default 9600 (a PTY ignores it, but a real port opened through this would not). */
  baudRate?: number;
  /** Default: silent. Logs through a child `{ module: 'scanner-sim' }`; the code itself only under the redacted `code` field. */
  log?: Logger;
}

/**
 * Lifecycle: the constructor only assigns; `open()` opens the device end; `close()` closes it
 * (idempotent, the pair stays up); `unplugMidCode()` ends the pair itself.
 *
 * Contract:
 * - One code at a time: a `type()` while another runs rejects with BUSY.
 * - `type()` resolves once its last byte is written and drained; it rejects with WRITE_FAILED when
 *   the port is closed or fails under it, NOT_OPEN when it is not open.
 */
export class SerialScannerSimulator {
  private readonly log: Logger;
  private port: SerialPort | null = null;
  private typing = false;

  constructor(private readonly options: SerialScannerSimulatorOptions) {
    this.log = (options.log ?? pino({ level: 'silent' })).child({ module: 'scanner-sim' });
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens the device end. Throws ALREADY_OPEN, SERIAL_OPEN_FAILED (the port is left closed). */
  async open(): Promise<void> {
    if (this.port) {
      throw new ScannerSimError('ALREADY_OPEN', 'Cannot open the scanner simulator: it is open already');
    }
    const portPath = this.options.pair.deviceEnd;
    const port = new SerialPort({
      path: portPath,
      baudRate: this.options.baudRate ?? SCANNER_BAUD_RATE,
      autoOpen: false,
    });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw new ScannerSimError(
        'SERIAL_OPEN_FAILED',
        `The scanner simulator cannot open the serial port ${portPath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // A scanner ignores what the host sends; read it so the PTY never fills up.
    port.on('data', () => {});
    port.on('error', (err) => this.log.warn({ err, path: portPath }, 'serial port error'));
    port.on('close', () => {
      if (this.port === port) this.port = null;
    });
    this.port = port;
    this.log.info(
      { path: portPath, driverEnd: this.options.pair.driverEnd },
      'scanner simulator on serial port',
    );
  }

  /**
   * Types one code: `noiseBefore`, the AIM prefix, the code (a string as UTF-8) and the suffix, one
   * byte every `charDelayMs`. Throws BAD_OPTION, NOT_OPEN, BUSY, WRITE_FAILED.
   */
  async type(code: string | Uint8Array, options: TypeOptions = {}): Promise<TypeResult> {
    const frame = scanFrame(code, options);
    const result = await this.writePaced(frame, checkDelay(options.charDelayMs));
    this.log.debug({ code: Buffer.from(frame).toString('latin1'), bytes: frame.length }, 'code typed');
    return result;
  }

  /**
   * The cable pulled mid-code: types the noise, the AIM prefix and the first half of the code (no
   * suffix), waits a moment for socat to pass them on, then ends the PTY pair, so the driver's end
   * hangs up. The simulator is closed after it. Resolves with the number of bytes written (the
   * driver normally receives them all; see UNPLUG_SETTLE_MS). Throws as `type()`.
   */
  async unplugMidCode(
    code: string | Uint8Array,
    options: Omit<TypeOptions, 'suffix' | 'dropSuffix'> = {},
  ): Promise<{ bytesWritten: number }> {
    const data = toBytes(code);
    const half = data.subarray(0, Math.floor(data.length / 2));
    const frame = scanFrame(half, { ...options, dropSuffix: true });
    const delayMs = checkDelay(options.charDelayMs);
    // A call that can't type (not open, busy) is the test's mistake: it does not pull the cable.
    this.writablePort();
    try {
      await this.writePaced(frame, delayMs);
      // Drained means socat has read the bytes, not that it has passed them on to the driver's end.
      await sleep(UNPLUG_SETTLE_MS);
    } finally {
      await this.options.pair.close();
      await this.close();
    }
    this.log.info({ bytes: frame.length }, 'unplugged mid-code');
    return { bytesWritten: frame.length };
  }

  /** Closes the device end (the PTY pair stays). Idempotent. */
  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private writablePort(): SerialPort {
    const port = this.port;
    if (!port?.isOpen) {
      throw new ScannerSimError('NOT_OPEN', 'Cannot type: the scanner simulator is not open');
    }
    if (this.typing) throw new ScannerSimError('BUSY', 'Cannot type: the scanner is still typing a code');
    return port;
  }

  private async writePaced(frame: Uint8Array, delayMs: number): Promise<TypeResult> {
    const port = this.writablePort();
    this.typing = true;
    try {
      const start = performance.now();
      let sent = 0;
      while (sent < frame.length) {
        const elapsed = performance.now() - start;
        // Every byte due by now (plus the tolerance) goes out in this write.
        const due =
          delayMs === 0
            ? frame.length
            : Math.min(frame.length, Math.floor((elapsed + EARLY_TOLERANCE_MS) / delayMs) + 1);
        if (due > sent) {
          await write(port, frame.subarray(sent, due), due === frame.length);
          sent = due;
        } else {
          // libuv rounds its clock to whole milliseconds, so a timer may fire up to 1 ms early:
          // then nothing is due yet and we sleep again rather than send a byte early.
          await sleep(Math.max(1, Math.round(start + sent * delayMs - performance.now())));
        }
      }
      // An empty frame (code '' with no suffix) still waits for earlier bytes to drain.
      if (frame.length === 0) await write(port, frame, true);
      return { lastByteAt: performance.now(), bytesWritten: frame.length };
    } finally {
      this.typing = false;
    }
  }
}

/** The Debian package of socat, which makes the PTY pair. */
export const SOCAT_PACKAGE = 'socat';

export interface StartScannerSimulatorOptions {
  /** Where the PTY links go; default a fresh temporary folder, removed by `stop()`. */
  dir?: string;
  log?: Logger;
}

export interface RunningScannerSimulator {
  /** The path the driver opens. */
  driverEnd: string;
  simulator: SerialScannerSimulator;
  /** Closes the simulator, ends the PTY pair, removes the temporary folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Makes a PTY pair and a scanner simulator open on its device end. Throws TOOL_MISSING (socat is
 * not installed: the message names the package), PTY_FAILED, SERIAL_OPEN_FAILED; leaves nothing
 * behind when it throws.
 */
export async function startScannerSimulator(
  options: StartScannerSimulatorOptions = {},
): Promise<RunningScannerSimulator> {
  // Checked here, by name, so a missing program reads as what to install, not as a failure of socat.
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new ScannerSimError(
      'TOOL_MISSING',
      `The scanner simulator makes its serial line with socat, which is not installed: install the Debian package ${SOCAT_PACKAGE} (apt-get install ${SOCAT_PACKAGE}).`,
    );
  }
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-scanner-'));
  const removeDir = (): void => {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  let pair: PtyPair;
  try {
    pair = await openPtyPair(dir);
  } catch (err) {
    removeDir();
    throw new ScannerSimError(
      'PTY_FAILED',
      `The scanner simulator could not make a PTY pair: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const simulator = new SerialScannerSimulator({ pair, ...(options.log ? { log: options.log } : {}) });
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await simulator.close();
        await pair.close();
      } finally {
        removeDir();
      }
    })();
    return stopping;
  };
  try {
    await simulator.open();
  } catch (err) {
    await stop();
    throw err;
  }
  return { driverEnd: pair.driverEnd, simulator, stop };
}

/** The bytes one `type()` sends: noise, AIM prefix, code, suffix. Throws BAD_OPTION, BAD_INPUT. */
export function scanFrame(code: string | Uint8Array, options: TypeOptions = {}): Uint8Array {
  const suffix = options.suffix ?? 'cr';
  if (!SCAN_SUFFIXES.includes(suffix)) {
    throw new ScannerSimError(
      'BAD_OPTION',
      `Invalid suffix ${JSON.stringify(suffix)}: expected one of ${SCAN_SUFFIXES.join(', ')}`,
    );
  }
  const aim = options.aim ?? '';
  if (aim !== '' && !/^\][\x21-\x7e]{2}$/.test(aim)) {
    throw new ScannerSimError(
      'BAD_INPUT',
      `Invalid AIM prefix ${JSON.stringify(aim)}: expected "]" and two characters, e.g. "]Q1"`,
    );
  }
  return Buffer.concat([
    options.noiseBefore ?? new Uint8Array(0),
    Buffer.from(aim, 'ascii'),
    toBytes(code),
    options.dropSuffix ? new Uint8Array(0) : SUFFIX_BYTES[suffix],
  ]);
}

function toBytes(code: string | Uint8Array): Uint8Array {
  return typeof code === 'string' ? Buffer.from(code, 'utf8') : code;
}

function checkDelay(value: number | undefined): number {
  const delay = value ?? DEFAULT_CHAR_DELAY_MS;
  if (!Number.isFinite(delay) || delay < 0) {
    throw new ScannerSimError(
      'BAD_OPTION',
      `Invalid charDelayMs ${value}: expected a number of milliseconds ≥ 0`,
    );
  }
  return delay;
}

/** Writes `chunk` and waits until serialport has handed it to the OS; with `drain`, until it is transmitted. */
function write(port: SerialPort, chunk: Uint8Array, drain: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void =>
      reject(
        new ScannerSimError('WRITE_FAILED', `Writing to the scanner's serial port failed: ${err.message}`, {
          cause: err,
        }),
      );
    // serialport queues a write on a closed port until it opens again, which would never happen.
    if (!port.isOpen) return failed(new Error('the port was closed while typing'));
    const drained = (): void => {
      if (drain) port.drain((e) => (e ? failed(e) : resolve()));
      else resolve();
    };
    if (chunk.length === 0) return drained();
    port.write(Buffer.from(chunk), (err) => (err ? failed(err) : drained()));
  });
}
