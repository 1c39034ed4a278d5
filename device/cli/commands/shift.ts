import { queueAndPrint } from '../../printing/printing.ts';
import { shiftReport } from '../../receipts/receipts.ts';
import { openTerminal } from '../../terminal.ts';
import { table, totalsText } from '../format.ts';
import { CLI_LOCALE, type CliIO, type CommandResult } from '../output.ts';

export async function shiftClose(options: { dataDir: string }, io: CliIO): Promise<CommandResult> {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    const report = terminal.journal.closeShift();
    const rows = (group: typeof report.byStatus) =>
      Object.entries(group).map(([k, v]) => [k, String(v.count), totalsText(v.totals)]);
    const text: string[] = [
      `Shift ${report.shiftNo} closed at ${report.closedAt} (opened ${report.openedAt ?? 'at the first payment'}): ${report.payments} ${report.payments === 1 ? 'payment' : 'payments'}.`,
      '',
      table(['status', 'count', 'total'], rows(report.byStatus)),
      '',
      table(['scheme (taken)', 'count', 'total'], rows(report.byScheme)),
    ];
    if (Object.keys(report.earlier).length > 0) {
      // Refunds and voids paid out of this till for earlier payments, doubts resolved, ...
      text.push('', table(['earlier payments, now', 'count', 'total'], rows(report.earlier)));
    }
    const printed = await queueAndPrint(
      terminal,
      (printing) =>
        printing.queue.enqueue({ kind: 'shift', document: shiftReport(report, printing.context) }),
      CLI_LOCALE,
    );
    if (printed?.error)
      text.push('', `Report not printed (it waits in the print queue): ${printed.error.message}`);
    return { json: { ...report, ...(printed ? { printout: printed } : {}) }, text: text.join('\n') };
  } finally {
    terminal.close();
  }
}
