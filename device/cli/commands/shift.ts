import { openTerminal } from '../../terminal.ts';
import { table, totalsText } from '../format.ts';
import type { CliIO, CommandResult } from '../output.ts';

export function shiftClose(options: { dataDir: string }, io: CliIO): CommandResult {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    const report = terminal.journal.closeShift();
    const rows = (group: typeof report.byStatus) =>
      Object.entries(group).map(([k, v]) => [k, String(v.count), totalsText(v.totals)]);
    const text = [
      `Shift ${report.shiftNo} closed at ${report.closedAt} (opened ${report.openedAt ?? 'at the first payment'}): ${report.payments} payments.`,
      '',
      table(['status', 'count', 'total'], rows(report.byStatus)),
      '',
      table(['scheme', 'count', 'total'], rows(report.byScheme)),
    ].join('\n');
    return { json: report, text };
  } finally {
    terminal.close();
  }
}
