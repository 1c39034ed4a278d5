/** `suanpan printer status`, `print-test`, `receipt`, `drawer open`, `reprint last`, `printer queue`. */
import fs from 'node:fs';
import path from 'node:path';
import { PrinterError } from '../../../drivers/printer/errors.ts';
import { renderDocumentPng } from '../../../drivers/printer/preview.ts';
import { profile as profileById } from '../../../drivers/printer/profiles.ts';
import { loadSettings } from '../../config/load-settings.ts';
import { writeFileAtomically } from '../../json-file.ts';
import type { PrintJob } from '../../printing/print-queue.ts';
import { PrintQueue } from '../../printing/print-queue.ts';
import {
  flushReport,
  openPrinting,
  type Printing,
  printerFor,
  receiptContext,
  whyNotPrinted,
} from '../../printing/printing.ts';
import { paymentReceipt, testPage } from '../../receipts/receipts.ts';
import { openTerminal } from '../../terminal.ts';
import { CLI_LOCALE, type CliIO, type CommandResult, EXIT_REFUSED, UsageError } from '../output.ts';
import { outputTarget } from '../output-file.ts';

interface PrinterOptions {
  dataDir: string;
  printer?: string;
}

/** A printer from --printer or the settings, for commands that need no terminal. */
async function directPrinter(options: PrinterOptions, io: CliIO) {
  const { settings } = loadSettings(options.dataDir, io.env);
  return { ...(await printerFor(settings, options.printer ?? settings.printer.uri ?? undefined)), settings };
}

function printerFailure(err: unknown): CommandResult {
  if (!(err instanceof PrinterError)) throw err;
  return {
    json: {
      ok: false,
      error: { code: err.code, message: err.cashierMessage(CLI_LOCALE), detail: err.message },
    },
    text: `${err.cashierMessage(CLI_LOCALE)}\n(${err.code}: ${err.message})`,
    exitCode: EXIT_REFUSED,
  };
}

export async function printerStatus(options: PrinterOptions, io: CliIO): Promise<CommandResult> {
  const { printer, uri } = await directPrinter(options, io);
  try {
    const s = await printer.status();
    const { raw, ...bits } = s;
    return {
      json: {
        ...bits,
        raw: Object.fromEntries(
          Object.entries(raw).map(([k, v]) => [k, `0x${(v as number).toString(16).padStart(2, '0')}`]),
        ),
      },
      text: `${uri}: ${s.online ? 'online' : 'OFFLINE'}, cover ${s.coverOpen ? 'OPEN' : 'closed'}, paper ${s.paperOut ? 'OUT' : s.paperNearEnd ? 'near end' : 'ok'}, drawer ${s.drawerOpen ? 'open' : 'closed'}${s.error ? ', ERROR' : ''}`,
    };
  } catch (err) {
    return printerFailure(err);
  } finally {
    await printer.close();
  }
}

export async function printTest(options: PrinterOptions, io: CliIO): Promise<CommandResult> {
  const { printer, profile, settings, uri } = await directPrinter(options, io);
  let context = {
    merchantName: settings.terminal.merchantName ?? 'Suanpan 算盘',
    terminalId: '(not set up)',
    locale: settings.terminal.locale,
  };
  if (fs.existsSync(path.join(options.dataDir, 'terminal.json'))) {
    const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
    context = receiptContext(terminal);
    terminal.close();
  }
  try {
    const status = await printer.status();
    const result = await printer.print(
      testPage({ ...context, now: new Date(), printer: uri }, profile, status),
    );
    return {
      json: { ok: true, bytes: result.bytes, profile: profile.id },
      text: `Test page printed on ${uri} (${result.bytes} bytes, profile ${profile.id}).`,
    };
  } catch (err) {
    return printerFailure(err);
  } finally {
    await printer.close();
  }
}

export async function drawerOpen(options: PrinterOptions, io: CliIO): Promise<CommandResult> {
  const { printer, uri } = await directPrinter(options, io);
  try {
    const { realTime, statusKnown } = await printer.openDrawer();
    const pins = printer.profile.family === 'star' ? 'the drawer port' : 'both pins';
    return {
      json: { ok: true, realTime, statusKnown },
      text: statusKnown
        ? `Drawer pulsed on ${pins} through ${uri}${realTime ? ' (real-time pulse: the printer is out of paper or open)' : ''}.`
        : `Real-time drawer pulse sent through ${uri}, but the printer did not answer its status: check that the drawer opened.`,
    };
  } catch (err) {
    return printerFailure(err);
  } finally {
    await printer.close();
  }
}

/** Prints (or draws) a payment's receipt; printing it again is a reprint, which is what was asked. */
export async function receipt(
  options: PrinterOptions & { payment: string; png?: string },
  io: CliIO,
): Promise<CommandResult> {
  // Checked before anything is opened: a bad target is bad usage, and never the data folder (a
  // PNG written over keys/terminal.key would destroy the terminal's key).
  const png =
    options.png === undefined
      ? undefined
      : outputTarget(options.png, options.dataDir, {
          option: '--png',
          what: 'the receipt',
          example: 'receipt.png',
        });
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    const payment = terminal.journal.payment(options.payment);
    if (!payment)
      throw new UsageError(`No payment ${options.payment} on this terminal: see \`suanpan payments\`.`);
    const context = receiptContext(terminal);
    if (png) {
      const image = renderDocumentPng(
        paymentReceipt(payment, context),
        profileById(terminal.settings.printer.profile),
      );
      try {
        writeFileAtomically(png, image, 0o644);
      } catch (err) {
        throw new UsageError(`Cannot write the receipt to ${png}: ${(err as Error).message}.`);
      }
      return {
        json: { png, bytes: image.length },
        text: `Receipt drawn to ${png}.`,
      };
    }
    const printing = await openPrinting(terminal, { uri: options.printer });
    try {
      // Printed before: this is a reprint, marked as one. Still waiting: print that one, not a copy.
      const earlier = printing.queue.receiptFor(payment.paymentId);
      const job =
        earlier?.state === 'printed'
          ? printing.queue.enqueue({
              kind: 'reprint',
              paymentId: payment.paymentId,
              reprintOf: earlier.id,
              document: paymentReceipt(payment, context, { reprint: true }),
            })
          : printing.queueReceipt(payment);
      return await printAsked(
        printing,
        job,
        options.printer !== undefined,
        `Receipt for payment ${payment.paymentId}`,
      );
    } finally {
      await printing.close();
    }
  } finally {
    terminal.close();
  }
}

/**
 * Prints a job someone asked for. On the terminal's own printer the queue goes in order (an earlier
 * receipt still waiting prints first); on another printer (`--printer`) only this job is printed
 * there, and the queue stays for the terminal's own.
 */
async function printAsked(
  printing: Printing,
  job: PrintJob,
  otherPrinter: boolean,
  what: string,
): Promise<CommandResult> {
  const flushed = flushReport(await printing.spooler.flush(otherPrinter ? { only: job.id } : {}), CLI_LOCALE);
  const printed = flushed.printed.includes(job.id);
  const why = whyNotPrinted(flushed, job.id, CLI_LOCALE);
  return {
    json: {
      jobId: job.id,
      ...flushed,
      printed,
      printedJobs: flushed.printed,
      ...(why ? { error: why } : {}),
    },
    text: printed
      ? `${what} printed (job ${job.id}).`
      : `${what} waits in the print queue (job ${job.id}): ${why?.message ?? 'waiting'}`,
    exitCode: printed ? undefined : EXIT_REFUSED,
  };
}

export async function reprintLast(options: PrinterOptions, io: CliIO): Promise<CommandResult> {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    const printing = await openPrinting(terminal, { uri: options.printer });
    try {
      const last = printing.queue.lastPrintedReceipt();
      if (!last)
        return {
          json: {
            ok: false,
            error: { code: 'NOTHING_TO_REPRINT', message: 'No receipt has been printed yet.' },
          },
          text: 'No receipt has been printed yet.',
          exitCode: EXIT_REFUSED,
        };
      const payment = last.paymentId ? terminal.journal.payment(last.paymentId) : undefined;
      const document = payment ? paymentReceipt(payment, printing.context, { reprint: true }) : last.document;
      const job = printing.queue.enqueue({
        kind: 'reprint',
        document,
        reprintOf: last.reprintOf ?? last.id,
        ...(last.paymentId ? { paymentId: last.paymentId } : {}),
      });
      return await printAsked(printing, job, options.printer !== undefined, 'Reprint of the last receipt');
    } finally {
      await printing.close();
    }
  } finally {
    terminal.close();
  }
}

export async function printQueue(options: { dataDir: string }, _io: CliIO): Promise<CommandResult> {
  const queue = PrintQueue.open(options.dataDir);
  try {
    const jobs = queue.pending().map((j) => ({
      id: j.id,
      kind: j.kind,
      paymentId: j.paymentId,
      attempts: j.attempts,
      lastError: j.lastError,
      createdAt: j.createdAt,
    }));
    return {
      json: jobs,
      text:
        jobs.length === 0
          ? 'Nothing waits to be printed.'
          : jobs
              .map(
                (j) =>
                  `job ${j.id} ${j.kind} ${j.paymentId ?? ''} attempts ${j.attempts} ${j.lastError ? `(${j.lastError.code})` : ''}`,
              )
              .join('\n'),
    };
  } finally {
    queue.close();
  }
}

/** Prints what waits in the queue now (after paper was loaded, the printer plugged back in). */
export async function printerFlush(options: PrinterOptions, io: CliIO): Promise<CommandResult> {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    const printing = await openPrinting(terminal, { uri: options.printer });
    try {
      const flushed = flushReport(await printing.spooler.flush(), CLI_LOCALE);
      const done = `${flushed.printed.length} printed, ${flushed.pending} waiting`;
      const notes = [
        ...(flushed.error ? [flushed.error.message] : []),
        ...(flushed.problems ?? []).map((p) => `job ${p.jobId}: ${p.error.message}`),
        ...(flushed.busy ? ['another program holds the next job'] : []),
      ];
      return {
        json: flushed,
        text: notes.length > 0 ? `${done}.\n${notes.join('\n')}` : `${done}.`,
        exitCode: flushed.error || flushed.problems ? EXIT_REFUSED : undefined,
      };
    } finally {
      await printing.close();
    }
  } finally {
    terminal.close();
  }
}
