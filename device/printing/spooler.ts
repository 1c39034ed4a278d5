/**
 * The print spooler: prints queued jobs in order, one at a time. A job is marked printed only when
 * the printer confirmed it (drivers/printer/printer.ts); on a printer fault the job stays queued, the
 * spooler stops (order is kept: the customer's receipt doesn't overtake an earlier one) and tries
 * again later, so receipts print when the paper is back, the cover shut or the printer plugged in.
 * Printing never touches a payment.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { PrinterError } from '../../drivers/printer/errors.ts';
import type { Printer } from '../../drivers/printer/printer.ts';
import type { PrintJob, PrintQueue } from './print-queue.ts';

/** How long a job is ours while printing it; longer than any print, short enough to recover from a crash. */
export const PRINT_LEASE_MS = 60_000;
/** While the printer is faulty, look again this often: a cashier loading paper wants it printing. */
export const PRINT_RETRY_MS = 2_000;

export interface FlushResult {
  printed: PrintJob[];
  pending: number;
  /** Why the spooler stopped, when it did. */
  error: PrinterError | null;
}

export interface SpoolerOptions {
  queue: PrintQueue;
  printer: Printer;
  log: Logger;
  retryMs?: number;
  /** Called with the moment the first byte of each job goes to the transport (benchmarks). */
  onFirstByte?: (job: PrintJob) => void;
}

export class PrintSpooler {
  private readonly owner = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  private flushing: Promise<FlushResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private kicked = false;

  constructor(private readonly options: SpoolerOptions) {}

  /** Prints what is queued, in order, until the queue is empty or the printer fails. */
  flush(): Promise<FlushResult> {
    if (this.flushing) {
      this.kicked = true;
      return this.flushing;
    }
    const run = this.flushAll().finally(() => {
      this.flushing = null;
    });
    this.flushing = run;
    return run;
  }

  /** Background printing: flush on `kick()`, and retry every few seconds while jobs wait. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return (this.flushing ?? Promise.resolve()).then(() => {});
  }

  /** A job was queued: print now. */
  kick(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.flush().then((r) => {
      if (!this.running) return;
      // A printer fault: look again soon. Jobs queued during the flush: print them now. Jobs that
      // can't print as they are wait for the next kick, not in a loop.
      const delay = r.error ? (this.options.retryMs ?? PRINT_RETRY_MS) : this.kicked ? 0 : null;
      this.kicked = false;
      if (delay !== null) {
        this.timer = setTimeout(() => this.kick(), delay);
        this.timer.unref?.();
      }
    });
  }

  private async flushAll(): Promise<FlushResult> {
    const { queue, printer, log } = this.options;
    const printed: PrintJob[] = [];
    for (const job of queue.pending()) {
      if (!queue.claim(job.id, this.owner, PRINT_LEASE_MS)) {
        // Another process is printing it: leave the rest to it, keep the order.
        return { printed, pending: queue.pending().length, error: null };
      }
      try {
        // A job tried before may have broken off midway (paper out, unplugged): start clear of it.
        const document = job.attempts > 0 ? { ...job.document, cutBefore: true } : job.document;
        await printer.print(document, { onFirstByte: () => this.options.onFirstByte?.(job) });
        queue.markPrinted(job.id);
        printed.push(job);
        log.info({ jobId: job.id, kind: job.kind, paymentId: job.paymentId }, 'printed');
      } catch (err) {
        const error =
          err instanceof PrinterError
            ? err
            : new PrinterError('OFFLINE', (err as Error).message, { cause: err });
        queue.markFailed(job.id, { code: error.code, message: error.message });
        if (!error.retryable) {
          // This job can't print as it is (bad text, no font): it stays queued for a technician,
          // and the jobs behind it go on. Nothing of it reached the printer (encoding failed first).
          log.error(
            { jobId: job.id, code: error.code, err: error.message },
            'print job cannot be printed; kept queued',
          );
          continue;
        }
        log.warn({ jobId: job.id, code: error.code, err: error.message }, 'print failed; the job waits');
        return { printed, pending: queue.pending().length, error };
      }
    }
    return { printed, pending: queue.pending().length, error: null };
  }
}
