/**
 * A closed shift's report as the cashier reads it: the shift's times, the payments counted by state
 * and by scheme with their totals, and the money taken. Pure: the host sends the counts and the
 * totals in minor units (sync/journal/journal.ts closeShift); this only orders, names and formats.
 *
 * "Money taken" counts the same states as the printed report (device/receipts/receipts.ts TAKEN):
 * approved, accepted offline and settled. Declined, voided and refunded payments are listed, not
 * added; a payment declined after sync is money the merchant did not get, so it is named apart.
 */
import type { Money, PaymentStatus, ShiftGroup, ShiftReport } from '../api/contract.ts';
import { formatDateTime } from '../i18n/context.ts';
import type { Language, MessageKey, Translate } from '../i18n/dictionary.ts';
import { formatMoney } from '../i18n/money.ts';

export interface ReportLine {
  /** The status or scheme as the host names it (`approved`, `alipay`). */
  key: string;
  label: string;
  count: number;
  /** The totals, one per currency, formatted and joined ("¥12.50 + $3.00"). */
  totals: string;
}

export interface ShiftReportView {
  shiftNo: number;
  /** When the shift began (the previous close); null for the terminal's first shift. */
  openedAt: string | null;
  closedAt: string;
  payments: number;
  byStatus: ReportLine[];
  byScheme: ReportLine[];
  /** Payments of earlier shifts whose state changed in this one (a refund paid out of this till). */
  earlier: ReportLine[];
  /** Approved, accepted offline and settled, added up per currency. */
  taken: string;
  /** Payments declined after sync in this shift (money not received). */
  lost: number;
}

/** The order states are listed in: money taken first, then in doubt, then not taken or undone. */
export const STATUS_ORDER: readonly PaymentStatus[] = [
  'approved',
  'settled',
  'accepted_offline',
  'unknown',
  'captured',
  'declined',
  'declined_after_sync',
  'voided',
  'refunded',
];

const TAKEN: ReadonlySet<string> = new Set<PaymentStatus>(['approved', 'accepted_offline', 'settled']);

/** Schemes the dictionary names; another scheme is shown as the host names it. */
const SCHEME_NAMES: Readonly<Record<string, MessageKey>> = {
  alipay: 'scheme.alipay',
  wechat: 'scheme.wechat',
  unionpay: 'scheme.unionpay',
  demo: 'scheme.demo',
  merchant_qr: 'scheme.merchant_qr',
};

export function schemeLabel(scheme: string, t: Translate): string {
  const key = SCHEME_NAMES[scheme];
  return key ? t(key) : scheme;
}

function isPaymentStatus(status: string): status is PaymentStatus {
  return (STATUS_ORDER as readonly string[]).includes(status);
}

/** "¥12.50 + $3.00": per-currency totals, currencies in alphabetical order; none is zero in `currency`. */
export function formatTotals(totals: Record<string, number>, currency: string): string {
  const parts = Object.entries(totals)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, minor]): Money => ({ minor, currency: code }));
  return parts.length > 0 ? parts.map(formatMoney).join(' + ') : formatMoney({ minor: 0, currency });
}

function lines(
  groups: Record<string, ShiftGroup>,
  order: (a: string, b: string) => number,
  label: (key: string) => string,
  currency: string,
): ReportLine[] {
  return Object.entries(groups)
    .sort(([a], [b]) => order(a, b))
    .map(([key, group]) => ({
      key,
      label: label(key),
      count: group.count,
      totals: formatTotals(group.totals, currency),
    }));
}

const statusRank = (status: string) => {
  const i = STATUS_ORDER.indexOf(status as PaymentStatus);
  return i === -1 ? STATUS_ORDER.length : i;
};

export function shiftReportView(
  report: ShiftReport,
  options: { t: Translate; currency: string },
): ShiftReportView {
  const { t, currency } = options;
  const taken: Record<string, number> = {};
  for (const [status, group] of Object.entries(report.byStatus)) {
    if (!TAKEN.has(status)) continue;
    for (const [code, minor] of Object.entries(group.totals)) taken[code] = (taken[code] ?? 0) + minor;
  }
  return {
    shiftNo: report.shiftNo,
    openedAt: report.openedAt,
    closedAt: report.closedAt,
    payments: report.payments,
    byStatus: lines(
      report.byStatus,
      (a, b) => statusRank(a) - statusRank(b) || a.localeCompare(b),
      (status) => (isPaymentStatus(status) ? t(`payment.${status}`) : status),
      currency,
    ),
    // The busiest scheme first; a tie in name order, so the report reads the same every time.
    byScheme: lines(
      report.byScheme,
      (a, b) => (report.byScheme[b]?.count ?? 0) - (report.byScheme[a]?.count ?? 0) || a.localeCompare(b),
      (scheme) => schemeLabel(scheme, t),
      currency,
    ),
    earlier: lines(
      report.earlier ?? {},
      (a, b) => statusRank(a) - statusRank(b) || a.localeCompare(b),
      (status) => (isPaymentStatus(status) ? t(`payment.${status}`) : status),
      currency,
    ),
    taken: formatTotals(taken, currency),
    lost: report.byStatus.declined_after_sync?.count ?? 0,
  };
}

/** "6/3 08:00 – 6/3 17:30", or "– 6/3 17:30" for the first shift, in the cashier's language. */
export function shiftPeriod(view: ShiftReportView, language: Language, t: Translate): string {
  const closed = formatDateTime(view.closedAt, language);
  return view.openedAt
    ? t('shift.period', { from: formatDateTime(view.openedAt, language), to: closed })
    : t('shift.periodFirst', { to: closed });
}
