import { PAYMENT_STATES } from '../../../sync/journal/entry.ts';
import type { PaymentStatus } from '../../../sync/journal/journal.ts';
import { openTerminal } from '../../terminal.ts';
import { moneyText, paymentJson, statusText, table } from '../format.ts';
import { type CliIO, type CommandResult, noteReadCopy, UsageError } from '../output.ts';

const STATUSES: readonly PaymentStatus[] = ['captured', ...PAYMENT_STATES];
export const MAX_LIST = 10_000;

export function payments(
  options: { dataDir: string; status?: string; limit?: string },
  io: CliIO,
): CommandResult {
  const status = options.status as PaymentStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status)) {
    throw new UsageError(`Unknown status "${options.status}": use one of ${STATUSES.join(', ')}.`);
  }
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST || !/^\d+$/.test(options.limit ?? '20')) {
    throw new UsageError(`Invalid --limit "${options.limit}": use a whole number from 1 to ${MAX_LIST}.`);
  }
  const terminal = openTerminal({
    dataDir: options.dataDir,
    env: io.env,
    create: false,
    readCopy: noteReadCopy(io),
  });
  try {
    const list = terminal.journal.payments({ status, limit });
    // Set aside from sync (a conflict, a field the core refused): said beside the state, which
    // stays as it was (it still counts in the offline room until someone deals with it).
    const parked = new Map(terminal.journal.syncInfo().parked.map((p) => [p.seq, p]));
    const text =
      list.length === 0
        ? 'No payments.'
        : table(
            ['seq', 'captured', 'amount', 'scheme', 'code', 'status'],
            list.map((p) => [
              String(p.seq),
              p.capturedAt,
              moneyText(p.amount),
              p.scheme,
              p.codeMasked,
              // Why a payment was declined (a limit, the wallet's balance, a used code) is its answer.
              (p.reason ? `${statusText(p.status)} (${p.reason})` : statusText(p.status)) +
                (parked.has(p.seq) ? ` — PARKED, not synced: ${parked.get(p.seq)?.reason}` : ''),
            ]),
          );
    const json = list.map((p) => {
      const set = parked.get(p.seq);
      return set ? { ...paymentJson(p), parked: { reason: set.reason, at: set.parkedAt } } : paymentJson(p);
    });
    return { json, text };
  } finally {
    terminal.close();
  }
}
