/** Text formatting for people, shared by the commands. */

import type { PaymentRecord, PaymentStatus } from '../../sync/journal/journal.ts';
import { formatMoney, type Money } from '../../sync/protocol/money.ts';

const STATUS_TEXT: Record<PaymentStatus, string> = {
  captured: 'Captured, waiting for the core',
  approved: 'Approved',
  accepted_offline: 'Accepted offline (to be confirmed)',
  declined: 'Declined',
  unknown: 'In doubt: being checked with the core',
  settled: 'Settled',
  declined_after_sync: 'DECLINED AFTER SYNC: the merchant bears this payment',
  voided: 'Voided',
  refunded: 'Refunded',
};

export function statusText(status: PaymentStatus): string {
  return STATUS_TEXT[status];
}

export function moneyText(money: Money): string {
  return formatMoney(money);
}

export function totalsText(totals: Record<string, number>): string {
  const parts = Object.entries(totals).map(([currency, minor]) => formatMoney({ minor, currency }));
  return parts.length > 0 ? parts.join(' + ') : formatMoney({ minor: 0, currency: 'CNY' });
}

/** A fixed-width table; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\uFFFF]/.test(ch) ? 2 : 1), 0);
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function paymentJson(p: PaymentRecord) {
  return {
    paymentId: p.paymentId,
    seq: p.seq,
    status: p.status,
    mode: p.mode,
    amount: p.amount,
    scheme: p.scheme,
    codeMasked: p.codeMasked,
    capturedAt: p.capturedAt,
    updatedAt: p.updatedAt,
    ...(p.reason ? { reason: p.reason } : {}),
  };
}
