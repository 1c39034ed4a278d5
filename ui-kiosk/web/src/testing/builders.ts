/** Small builders for the renderer's tests: a host status, a payment, a checkout, with defaults. */
import type {
  CheckoutState,
  HostStatus,
  OfflineQueue,
  PaymentRecord,
  ScanSummary,
  ShiftReport,
} from '../api/contract.ts';

const cny = (minor: number) => ({ minor, currency: 'CNY' });

export function queue(change: Partial<OfflineQueue['remaining']> & { pending?: number } = {}): OfflineQueue {
  const { pending = 0, ...remaining } = change;
  return {
    pending,
    totals: { CNY: 0 },
    oldestCapturedAt: null,
    limits: { perPayment: cny(20000), totalStored: cny(200000), maxStoredCount: 200, maxHoursSinceSync: 72 },
    remaining: {
      nextPaymentMax: cny(20000),
      totalStored: cny(200000),
      storedCount: 200,
      syncDueBy: '2030-01-04T00:00:00.000Z',
      hoursLeft: 72,
      clockBehind: false,
      forwardingBlocked: null,
      ...remaining,
    },
  };
}

export function status(
  change: { configured?: boolean; reachable?: boolean | null; queue?: OfflineQueue } = {},
): HostStatus {
  return {
    terminal: { terminalId: 'T-1', version: '0.1.0', locale: 'zh-CN', merchantName: null, currency: 'CNY' },
    activation: { activated: change.configured ?? false, coreUrl: null },
    online: {
      configured: change.configured ?? false,
      reachable: change.reachable ?? null,
      syncing: false,
      lastSyncAt: null,
      lastError: null,
    },
    queue: change.queue ?? queue(),
    devices: { printer: { uri: null, state: 'none', waiting: 0 }, scanners: [] },
  };
}

let seq = 0;

export function payment(
  change: Omit<Partial<PaymentRecord>, 'amount'> & { amount?: number } = {},
): PaymentRecord {
  seq += 1;
  const { amount = 1250, ...rest } = change;
  return {
    paymentId: `p-${seq}`,
    seq,
    amount: cny(amount),
    scheme: 'demo',
    codeMasked: '28************3456',
    mode: 'offline',
    status: 'accepted_offline',
    reason: null,
    capturedAt: '2030-01-01T10:00:00.000Z',
    updatedAt: '2030-01-01T10:00:00.000Z',
    ...rest,
  };
}

export function checkout(change: Partial<CheckoutState> = {}): CheckoutState {
  return { checkoutId: 'c-1', amount: cny(1250), phase: 'waiting_code', ...change };
}

/** A scan as the host sends it (masked), of a kind other than an activation card. */
export function scan(kind: Exclude<ScanSummary['kind'], 'activation'> = 'product'): ScanSummary {
  return { kind, data: '6901234567892', source: 'kiosk:wedge', at: '2030-01-01T10:00:00.000Z' };
}

/** A closed shift's report: `groups` as [status, scheme, currency, count, total minor]. */
export function shiftReport(groups: [string, string, string, number, number][], shiftNo = 3): ShiftReport {
  const report: ShiftReport = {
    shiftNo,
    openedAt: '2030-01-01T08:00:00.000Z',
    closedAt: '2030-01-01T17:30:00.000Z',
    payments: 0,
    byStatus: {},
    byScheme: {},
    earlier: {},
  };
  for (const [status, scheme, currency, count, total] of groups) {
    report.payments += count;
    for (const [group, key] of [
      [report.byStatus, status],
      [report.byScheme, scheme],
    ] as const) {
      const g = group[key] ?? { count: 0, totals: {} };
      g.count += count;
      g.totals[currency] = (g.totals[currency] ?? 0) + total;
      group[key] = g;
    }
  }
  return report;
}
