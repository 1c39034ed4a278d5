/**
 * The receipt printer driver: status, print, drawer, over any Transport.
 *
 * Rules:
 * - One operation at a time: calls queue (status answers are matched to requests by order).
 * - The transport is opened on first use and again after it went away (a replug, a network drop).
 * - Before each job the printer's real-time status is read: Epson DLE EOT 1–4, sent together and
 *   answered in order; Star Line Mode ENQ then EOT, each sent only once the previous one was
 *   answered. A printer that does not answer in time is a fault (`TIMEOUT`), never success: many
 *   cheap printers go silent when out of paper. Paper out, cover open, offline and errors refuse
 *   the job.
 * - After the job's bytes are written, the status is read again: a job is printed only if the
 *   printer then still reports itself fine. Anything else leaves it to be printed again.
 *   Known limit: that status is real-time, answered when the request arrives, which on a printer
 *   with a large receive buffer can be before the job's last lines are on paper; paper running out
 *   in that moment goes unseen (the cashier sees it, and `reprint last` prints it again). An
 *   in-order confirmation (GS r, GS ( H) would close the gap on printers that support it.
 * - A write that fails, or is not taken within its deadline, closes the transport, so the next
 *   operation connects again and nothing hangs on a stalled printer.
 */
import type { Transport } from '../transport/transport.ts';
import { TransportError } from '../transport/transport.ts';
import type { PrintDocument } from './document.ts';
import { PrinterError } from './errors.ts';
import { DRAWER_KICK, type EncodeOptions, encodeDocument } from './escpos/encoder.ts';
import {
  DLE_EOT,
  interpretStarStatus,
  interpretStatus,
  isStarStatusByte,
  isStatusByte,
  type PrinterStatus,
  STAR_INQUIRY,
  STAR_STATUS_REQUESTS,
  STATUS_REQUESTS,
  type StarStatusRequest,
  StatusDecoder,
} from './escpos/status.ts';
import type { PrinterProfile } from './profiles.ts';

/** A write must be taken within 5 s plus 2 ms a byte (500 bytes/s: slower than any serial printer at 9600 baud). */
const WRITE_DEADLINE_BASE_MS = 5_000;
const WRITE_MS_PER_BYTE = 2;

/** DLE DC4 1 m t on both pins, 100 ms (t = 1). */
const DRAWER_KICK_REAL_TIME = Buffer.from([0x10, 0x14, 0x01, 0x00, 0x01, 0x10, 0x14, 0x01, 0x01, 0x01]);
/** Star Line Mode, external device 1: ESC BEL n1 n2 (110 ms on, 550 ms delay), then BEL (in order). */
const STAR_DRAWER_KICK = Buffer.from([0x1b, 0x07, 0x0b, 0x37, 0x07]);
/** Star Line Mode FS: drive external device 1 in real time (STAR Command Specifications 3-3-12). */
const STAR_DRAWER_KICK_REAL_TIME = Buffer.from([0x1c]);

/** A printer answers DLE EOT (or Star's ENQ/EOT) within milliseconds, even busy; half a second means it won't. */
export const DEFAULT_STATUS_TIMEOUT_MS = 500;

export interface PrinterOptions {
  transport: Transport;
  profile: PrinterProfile;
  statusTimeoutMs?: number;
  encode?: EncodeOptions;
  /** How long a write may take: `baseMs` plus `msPerByte` a byte (default 5 s + 2 ms a byte). */
  writeDeadline?: { baseMs: number; msPerByte: number };
}

export interface PrintResult {
  bytes: number;
  status: PrinterStatus;
}

export class Printer {
  private chain: Promise<unknown> = Promise.resolve();
  /** The status request in flight: bytes that arrive are decoded into its answers. */
  private inFlight: { decoder: StatusDecoder; answers: number[] } | null = null;
  private waiter: (() => void) | null = null;
  private subscribed = false;

  constructor(private readonly options: PrinterOptions) {}

  get description(): string {
    return this.options.transport.description;
  }

  get profile(): PrinterProfile {
    return this.options.profile;
  }

  /** The printer's status now. */
  status(): Promise<PrinterStatus> {
    return this.exclusive(() => this.readStatus());
  }

  /** Prints a document; resolves once the printer confirmed it is still fine after the job. */
  print(doc: PrintDocument, hooks: { onFirstByte?: () => void } = {}): Promise<PrintResult> {
    return this.exclusive(async () => {
      const bytes = await encodeDocument(doc, this.options.profile, this.options.encode);
      await this.ready();
      hooks.onFirstByte?.();
      await this.send(bytes);
      const after = await this.readStatus();
      refuseIfNotReady(after, 'after printing', this.options.profile);
      return { bytes: bytes.length, status: after };
    });
  }

  /** Pulses the cash drawer on both pins. */
  /**
   * Pulses the cash drawer. A printer that is ready gets the pulse in order with its data (Epson
   * `ESC p` on both pins; Star `ESC BEL` then `BEL`). Out of paper, with the cover open, or not
   * answering its status (many go silent without paper), it gets the real-time pulse, which it runs
   * at once even offline (Epson `DLE DC4 1`, Star `FS`): the cashier needs the drawer now. A printer
   * that says it is offline for another reason is refused. Resolves with whether the printer's
   * state was known.
   */
  openDrawer(): Promise<{ realTime: boolean; statusKnown: boolean }> {
    return this.exclusive(async () => {
      const star = this.options.profile.family === 'star';
      let status: PrinterStatus | undefined;
      try {
        status = await this.readStatus();
      } catch (err) {
        if (!(err instanceof PrinterError) || (err.code !== 'TIMEOUT' && err.code !== 'GARBLED')) throw err;
      }
      if (status?.online) {
        await this.send(star ? STAR_DRAWER_KICK : DRAWER_KICK);
        return { realTime: false, statusKnown: true };
      }
      if (!status || status.paperOut || status.coverOpen || (star && status.error)) {
        await this.send(star ? STAR_DRAWER_KICK_REAL_TIME : DRAWER_KICK_REAL_TIME);
        return { realTime: true, statusKnown: status !== undefined };
      }
      refuseIfNotReady(status, 'before opening the drawer', this.options.profile);
      throw new PrinterError('OFFLINE', 'The printer reports itself offline before opening the drawer.');
    });
  }

  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.options.transport.close();
  }

  // -- internals --------------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async ready(): Promise<void> {
    refuseIfNotReady(await this.readStatus(), 'before printing', this.options.profile);
  }

  private async connect(): Promise<void> {
    const t = this.options.transport;
    if (!this.subscribed) {
      t.on('data', (chunk) => {
        const request = this.inFlight;
        if (request) request.answers.push(...request.decoder.push(chunk));
        this.waiter?.();
      });
      t.on('close', () => this.waiter?.());
      this.subscribed = true;
    }
    if (t.isOpen) return;
    try {
      await t.open();
    } catch (err) {
      throw toPrinterError(err, t.description);
    }
  }

  private async send(bytes: Uint8Array): Promise<void> {
    // A printer that stops taking data (paper out mid-job on usblp, a stalled serial line) must not
    // hang the caller: past the deadline the link is closed, which fails the write.
    const { baseMs, msPerByte } = this.options.writeDeadline ?? {
      baseMs: WRITE_DEADLINE_BASE_MS,
      msPerByte: WRITE_MS_PER_BYTE,
    };
    const deadlineMs = baseMs + bytes.length * msPerByte;
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    try {
      await Promise.race([
        this.options.transport.write(bytes),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            expired = true;
            reject(
              new PrinterError(
                'TIMEOUT',
                `${this.description} did not take ${bytes.length} bytes within ${Math.round(deadlineMs / 1000)} s.`,
              ),
            );
          }, deadlineMs);
        }),
      ]);
    } catch (err) {
      if (expired) {
        await this.options.transport.close().catch(() => {});
        throw err;
      }
      // The link may not have noticed yet that it is gone (EPIPE before 'close'): close it, so that
      // the next operation opens it again instead of writing into a dead socket.
      await this.options.transport.close().catch(() => {});
      throw toPrinterError(err, this.description);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readStatus(): Promise<PrinterStatus> {
    await this.connect();
    if (this.options.profile.family === 'star') {
      const answers: Partial<Record<StarStatusRequest, number>> = {};
      for (const request of STAR_STATUS_REQUESTS) {
        // One at a time: Star's spec asks for the answer before the next inquiry.
        [answers[request]] = await this.request(STAR_INQUIRY[request], 1, (b) =>
          isStarStatusByte(request, b),
        );
      }
      return interpretStarStatus(answers);
    }
    const requests = Buffer.concat(STATUS_REQUESTS.map((n) => DLE_EOT(n)));
    const [a1, a2, a3, a4] = await this.request(requests, STATUS_REQUESTS.length, isStatusByte);
    return interpretStatus({ 1: a1, 2: a2, 3: a3, 4: a4 });
  }

  /**
   * Sends a status request and waits for `count` answer bytes; bytes `isAnswer` rejects are noise.
   * Throws OFFLINE when the link goes away, TIMEOUT when nothing came in time, GARBLED when only noise
   * came.
   */
  private async request(inquiry: Buffer, count: number, isAnswer: (b: number) => boolean): Promise<number[]> {
    const request = { decoder: new StatusDecoder(isAnswer), answers: [] as number[] };
    this.inFlight = request;
    try {
      await this.send(inquiry);
      const timeoutMs = this.options.statusTimeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      while (request.answers.length < count) {
        if (!this.options.transport.isOpen) {
          throw new PrinterError('OFFLINE', `${this.description} went away while its status was read.`);
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          if (request.decoder.skipped > 0) {
            throw new PrinterError(
              'GARBLED',
              `${this.description} answered the status request with bytes that are not a status: is it ${this.options.profile.family === 'star' ? 'a Star Line Mode' : 'an ESC/POS'} printer?`,
            );
          }
          throw new PrinterError(
            'TIMEOUT',
            `${this.description} did not answer the status request within ${timeoutMs} ms.`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          this.waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.waiter = null;
      }
      return request.answers.slice(0, count);
    } finally {
      this.inFlight = null;
    }
  }
}

function refuseIfNotReady(status: PrinterStatus, when: string, profile: PrinterProfile): void {
  if (status.paperOut) throw new PrinterError('PAPER_OUT', `The printer reports paper out ${when}.`);
  if (status.coverOpen) throw new PrinterError('COVER_OPEN', `The printer reports its cover open ${when}.`);
  if (status.error) {
    throw new PrinterError(
      'PRINTER_ERROR',
      profile.family === 'star'
        ? // Star's ENQ status has one bit for both (see interpretStarStatus).
          `The printer reports cover open or printer error ${when} (a Star printer does not say which).`
        : `The printer reports an error ${when} (cutter or mechanism).`,
    );
  }
  if (!status.online) throw new PrinterError('OFFLINE', `The printer reports itself offline ${when}.`);
}

function toPrinterError(err: unknown, description: string): PrinterError {
  if (err instanceof PrinterError) return err;
  if (err instanceof TransportError) {
    if (err.code === 'UNAVAILABLE') return new PrinterError('UNAVAILABLE', err.message, { cause: err });
    if (err.code === 'CONNECT_FAILED' || err.code === 'NOT_FOUND' || err.code === 'TIMEOUT') {
      return new PrinterError(
        'OFFLINE',
        `Cannot reach the printer at ${description}: is it switched on and connected, and is that its address? (${err.message})`,
        { cause: err },
      );
    }
    return new PrinterError('OFFLINE', err.message, { cause: err });
  }
  return new PrinterError('OFFLINE', `${description}: ${(err as Error).message}`, { cause: err });
}
