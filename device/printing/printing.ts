/**
 * Printing for one terminal: the print queue in its data folder, the configured printer (or one
 * given on the command line), and the spooler between them; plus the receipt context (merchant name,
 * terminal, language) the layouts need.
 */
import type { Logger } from 'pino';
import type { PrinterError } from '../../drivers/printer/errors.ts';
import { Printer } from '../../drivers/printer/printer.ts';
import { type PrinterProfile, profile as profileById } from '../../drivers/printer/profiles.ts';
import { createTransport } from '../../drivers/transport/uri.ts';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import type { Settings } from '../config/settings.ts';
import { paymentReceipt, type ReceiptContext } from '../receipts/receipts.ts';
import type { Terminal } from '../terminal.ts';
import type { PrintJob } from './print-queue.ts';
import { PrintQueue } from './print-queue.ts';
import { type FlushResult, PrintSpooler } from './spooler.ts';

export class NoPrinterError extends Error {
  readonly code = 'NO_PRINTER';
  constructor() {
    super(
      'No printer is set: pass --printer URI (e.g. tcp://192.168.1.50:9100) or set printer.uri in suanpan.json.',
    );
    this.name = 'NoPrinterError';
  }
}

export function receiptContext(terminal: Terminal): ReceiptContext {
  return {
    merchantName:
      terminal.settings.terminal.merchantName ?? terminal.activation?.merchantName ?? 'Suanpan 算盘',
    terminalId: terminal.key.terminalId,
    locale: terminal.settings.terminal.locale,
  };
}

export interface Printing {
  queue: PrintQueue;
  printer: Printer;
  profile: PrinterProfile;
  spooler: PrintSpooler;
  context: ReceiptContext;
  /** Queues a payment's receipt (once per payment) and returns the job. */
  queueReceipt(payment: PaymentRecord): PrintJob;
  close(): Promise<void>;
}

/**
 * The printer the settings name (or `uri`, which overrides them), with its profile and timeouts.
 * Throws NoPrinterError when there is none, AddressError for a bad URI.
 */
export async function printerFor(
  settings: Settings,
  uri: string | undefined = settings.printer.uri ?? undefined,
): Promise<{ printer: Printer; profile: PrinterProfile; uri: string }> {
  if (!uri) throw new NoPrinterError();
  const profile = profileById(settings.printer.profile);
  const printer = new Printer({
    transport: await createTransport(uri),
    profile,
    statusTimeoutMs: settings.printer.statusTimeoutMs,
  });
  return { printer, profile, uri };
}

/** Opens printing for the terminal; `uri` overrides the configured printer. */
export async function openPrinting(
  terminal: Terminal,
  options: { uri?: string; log?: Logger; onFirstByte?: (job: PrintJob) => void } = {},
): Promise<Printing> {
  const { printer, profile } = await printerFor(terminal.settings, options.uri);
  const queue = PrintQueue.open(terminal.dataDir);
  const log = (options.log ?? terminal.log).child({ module: 'printing' });
  const spooler = new PrintSpooler({ queue, printer, log, onFirstByte: options.onFirstByte });
  const context = receiptContext(terminal);
  return {
    queue,
    printer,
    profile,
    spooler,
    context,
    queueReceipt: (payment) =>
      queue.enqueue({
        kind: 'receipt',
        paymentId: payment.paymentId,
        document: paymentReceipt(payment, context),
      }),
    close: async () => {
      await spooler.stop();
      await printer.close();
      queue.close();
    },
  };
}

/** A flush as JSON for the CLI: what printed, what waits, and why. */
export function flushReport(result: FlushResult, locale: ReceiptContext['locale']) {
  const described = (e: PrinterError) => ({
    code: e.code,
    message: e.cashierMessage(locale),
    detail: e.message,
  });
  return {
    printed: result.printed.map((j) => j.id),
    pending: result.pending,
    ...(result.error ? { error: described(result.error) } : {}),
    ...(result.problems.length > 0
      ? { problems: result.problems.map((p) => ({ jobId: p.job.id, error: described(p.error) })) }
      : {}),
    ...(result.busy ? { busy: true } : {}),
  };
}

/** Why `jobId` did not print in this flush, for the person waiting on it. */
export function whyNotPrinted(
  report: ReturnType<typeof flushReport>,
  jobId: number,
  locale: ReceiptContext['locale'],
) {
  if (report.printed.includes(jobId)) return undefined;
  const own = report.problems?.find((p) => p.jobId === jobId)?.error;
  if (own) return own;
  if (report.error) return report.error;
  if (report.busy) {
    return {
      code: 'BUSY',
      message:
        locale === 'en'
          ? 'Another program is printing on this terminal; the receipt waits its turn.'
          : '另一程序正在打印，小票排队等候。',
      detail: 'an earlier job is leased by another process',
    };
  }
  return undefined;
}

export interface PrintOutcome {
  jobId?: number;
  printed: boolean;
  error?: { code: string; message: string; detail?: string };
}

/**
 * Queues a job on the configured printer and prints what waits, now. For work that is already done
 * and committed (a payment, a closed shift): whatever the printer does, that work stands; a job that
 * can't print waits in the queue. Undefined when no printer is set. A printer's error is said in
 * `locale`, the language of whoever reads the outcome (the CLI's, English).
 */
export async function queueAndPrint(
  terminal: Terminal,
  makeJob: (printing: Printing) => PrintJob,
  locale: ReceiptContext['locale'],
): Promise<PrintOutcome | undefined> {
  if (!terminal.settings.printer.uri) return undefined;
  let printing: Printing | undefined;
  try {
    printing = await openPrinting(terminal);
    const job = makeJob(printing);
    const flushed = flushReport(await printing.spooler.flush(), locale);
    const error = whyNotPrinted(flushed, job.id, locale);
    return { jobId: job.id, printed: flushed.printed.includes(job.id), ...(error ? { error } : {}) };
  } catch (err) {
    terminal.log.warn({ err: (err as Error).message }, 'nothing printed');
    return {
      printed: false,
      error: { code: (err as { code?: string }).code ?? 'PRINT_FAILED', message: (err as Error).message },
    };
  } finally {
    await printing?.close();
  }
}
