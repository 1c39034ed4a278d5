import { parseAmount } from '../../../sync/protocol/money.ts';
import { classifyPaymentCode } from '../../checkout/payment-code.ts';
import { loadSettings } from '../../config/load-settings.ts';
import { queueAndPrint } from '../../printing/printing.ts';
import { openTerminal } from '../../terminal.ts';
import { moneyText, statusText } from '../format.ts';
import { type CliIO, type CommandResult, EXIT_OK, EXIT_REFUSED } from '../output.ts';

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
    const ok = payment.status === 'approved' || payment.status === 'accepted_offline';
    // After the commit: whatever the printer does, the payment stands.
    const receipt =
      ok && terminal.settings.printer.receipts
        ? await queueAndPrint(terminal, (printing) => printing.queueReceipt(payment))
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
