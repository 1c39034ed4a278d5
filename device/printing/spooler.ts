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
  /** Jobs that can't print as they are (bad text, no font): kept queued, skipped, reported here. */
  problems: { job: PrintJob; error: PrinterError }[];
  /** Another process holds the next job (it is printing it, or it died and its lease has not run out). */
  busy: boolean;
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

  /**
   * Prints what is queued, in order, until the queue is empty or the printer fails. With `only`,
   * prints just that job (a receipt asked for on another printer than the terminal's own).
   */
  flush(options: { only?: number } = {}): Promise<FlushResult> {
    if (this.flushing) {
      if (options.only === undefined) {
        this.kicked = true;
        return this.flushing;
      }
      return this.flushing.then(() => this.flush(options));
    }
    const jobs = () => {
      const { queue } = this.options;
      if (options.only === undefined) return queue.pending();
      const job = queue.get(options.only);
      return job?.state === 'queued' ? [job] : [];
    };
    const run = this.flushJobs(jobs).finally(() => {
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
    this.flush().then(
      (r) => this.scheduleAfter(r),
      (err: unknown) => {
        // The queue itself failed (a disk error): log it and look again later, never crash the host.
        this.options.log.error({ err: (err as Error).message }, 'print queue failed; retrying');
        this.scheduleAfter({
          printed: [],
          pending: 0,
          error: new PrinterError('OFFLINE', (err as Error).message),
          problems: [],
          busy: false,
        });
      },
    );
  }

  private scheduleAfter(r: FlushResult): void {
    if (!this.running) return;
    // A printer fault, or a job another process holds: look again soon. Jobs queued during the
    // flush: print them now. Jobs that can't print as they are wait for the next kick, not a loop.
    const delay = r.error || r.busy ? (this.options.retryMs ?? PRINT_RETRY_MS) : this.kicked ? 0 : null;
    this.kicked = false;
    if (delay !== null) {
      this.timer = setTimeout(() => this.kick(), delay);
      this.timer.unref?.();
    }
  }

  private async flushJobs(jobs: () => PrintJob[]): Promise<FlushResult> {
    const { queue, printer, log } = this.options;
    const printed: PrintJob[] = [];
    const problems: FlushResult['problems'] = [];
    const result = (error: PrinterError | null, busy = false): FlushResult => ({
      printed,
      pending: queue.pending().length,
      error,
      problems,
      busy,
    });
    for (const job of jobs()) {
      if (!queue.claim(job.id, this.owner, PRINT_LEASE_MS)) {
        // Another process is printing it: leave the rest to it, keep the order.
        log.info({ jobId: job.id }, 'print job held by another process');
        return result(null, true);
      }
      let sent = false;
      try {
        // A job that broke off midway (paper out, unplugged) starts clear of the part on the paper.
        const document = job.partial ? { ...job.document, cutBefore: true } : job.document;
        await printer.print(document, {
          onFirstByte: () => {
            sent = true;
            this.options.onFirstByte?.(job);
          },
        });
      } catch (err) {
        const error =
          err instanceof PrinterError
            ? err
            : new PrinterError('OFFLINE', (err as Error).message, { cause: err });
        queue.markFailed(job.id, { code: error.code, message: error.message }, { partial: sent });
        if (!error.retryable) {
          // This job can't print as it is (bad text, no font): it stays queued for a technician,
          // and the jobs behind it go on. Nothing of it reached the printer (encoding failed first).
          log.error(
            { jobId: job.id, code: error.code, err: error.message },
            'print job cannot be printed; kept queued',
          );
          problems.push({ job, error });
          continue;
        }
        log.warn({ jobId: job.id, code: error.code, err: error.message }, 'print failed; the job waits');
        return result(error);
      }
      queue.markPrinted(job.id);
      printed.push(job);
      log.info({ jobId: job.id, kind: job.kind, paymentId: job.paymentId }, 'printed');
    }
    return result(null);
  }
}
