import { inFlightWindowMs, mayBeInFlight } from '../../../sync/client/in-doubt.ts';
import type { StoredPayment } from '../../../sync/journal/journal.ts';
import { parseAmount } from '../../../sync/protocol/money.ts';
import { classifyPaymentCode } from '../../checkout/payment-code.ts';
import { loadSettings } from '../../config/load-settings.ts';
import { queueAndPrint } from '../../printing/printing.ts';
import { openTerminal, type Terminal } from '../../terminal.ts';
import { moneyText, statusText } from '../format.ts';
import { CLI_LOCALE, type CliIO, type CommandResult, EXIT_OK, EXIT_REFUSED } from '../output.ts';

export interface PayOptions {
  dataDir: string;
  amount: string;
  code: string;
  currency?: string;
}

export async function pay(options: PayOptions, io: CliIO): Promise<CommandResult> {
  const loaded = loadSettings(options.dataDir, io.env);
  // Check all input before anything is opened or recorded.
  const amount = parseAmount(options.amount, options.currency ?? loaded.settings.terminal.currency);
  classifyPaymentCode(options.code);
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: true, loaded });
  try {
    const { payment, refusals } = await terminal.checkout.pay({ amount, code: options.code });
    noteEarlierDoubts(terminal, payment.paymentId, io);
    const ok = payment.status === 'approved' || payment.status === 'accepted_offline';
    // After the commit: whatever the printer does, the payment stands.
    const receipt =
      ok && terminal.settings.printer.receipts
        ? await queueAndPrint(terminal, (printing) => printing.queueReceipt(payment), CLI_LOCALE)
        : undefined;
    const json = {
      paymentId: payment.paymentId,
      seq: payment.seq,
      status: payment.status,
      mode: payment.mode,
      amount: payment.amount,
      ...(payment.reason ? { reason: payment.reason } : {}),
      ...(refusals.length > 0 ? { limits: refusals } : {}),
      ...(receipt ? { receipt } : {}),
    };
    const text = [
      `${statusText(payment.status)} · ${moneyText(payment.amount)} · ${payment.scheme} ${payment.codeMasked}`,
      ...(payment.reason ? [payment.reason] : []),
      `payment ${payment.paymentId} · seq ${payment.seq}`,
      ...(receipt?.error
        ? [`Receipt not printed (it waits in the print queue): ${receipt.error.message}`]
        : []),
    ].join('\n');
    return { json, text, exitCode: ok ? EXIT_OK : EXIT_REFUSED };
  } finally {
    terminal.close();
  }
}

/**
 * Earlier payments still in doubt (a `pay` killed while the core had it, a core that never answered):
 * the customer may have been charged for them, so a sale taken again would be paid twice. Said on
 * stderr beside the answer; the sync engine resolves them (query, then cancel).
 */
function noteEarlierDoubts(terminal: Terminal, paymentId: string, io: CliIO): void {
  let earlier: StoredPayment[];
  try {
    // Not one another process is taking right now (the kiosk's payment, waiting for the core).
    const inFlight = {
      inFlightMs: inFlightWindowMs(terminal.settings.core.timeoutMs),
      now: () => new Date(),
    };
    earlier = terminal.journal
      .inDoubt()
      .filter((p) => p.paymentId !== paymentId && !mayBeInFlight(p, inFlight));
  } catch (err) {
    // A note beside a payment that is recorded: never a failure of the payment.
    terminal.log.warn({ err: (err as Error).message }, 'could not read the payments in doubt');
    return;
  }
  if (earlier.length === 0) return;
  const listed = earlier
    .slice(0, 5)
    .map((p) => `seq ${p.seq} (${moneyText(p.amount)}, ${p.capturedAt})`)
    .join(', ');
  io.stderr(
    `Note: ${earlier.length === 1 ? '1 earlier payment is' : `${earlier.length} earlier payments are`} in doubt, and the customer may have been charged: ${listed}${earlier.length > 5 ? ', …' : ''}. If this sale was one of them, it may now be paid twice: \`suanpan sync\` asks the core about them now, and \`suanpan payments\` shows how each ended.\n`,
  );
}
