/**
 * The offline policy: EMV-style terminal risk management for payments taken while the core is out of
 * reach. A payment is accepted offline only if it stays within every limit; a refusal names each
 * limit it breaks and by how much. Limits come from the settings (see config/settings.ts for the
 * defaults and why).
 */

import type { OfflineStats } from '../../sync/journal/journal.ts';
import { formatMoney, type Money } from '../../sync/protocol/money.ts';
import type { OfflineLimits } from '../config/settings.ts';

export type OfflineLimitName =
  | 'currency'
  | 'perPayment'
  | 'totalStored'
  | 'storedCount'
  | 'sinceSync'
  /** The clock is behind the last sync (or the set-up): the time since it can't be told. */
  | 'clock'
  /** The core refuses this terminal's payments for good (revoked, journal not recognised). */
  | 'forwarding';

export interface OfflineRefusal {
  limit: OfflineLimitName;
  /** The limit, what this payment would make it, and the difference; money in minor units. */
  max: number;
  value: number;
  over: number;
  unit: 'minor' | 'payments' | 'hours';
  currency?: string;
  message: string;
}

export interface OfflineRoom {
  /** Largest payment that would be accepted offline now. */
  nextPaymentMax: Money;
  totalStored: Money;
  storedCount: number;
  /** When the terminal must have synced to keep accepting offline payments. */
  syncDueBy: string;
  hoursLeft: number;
  /** The clock reads earlier than the last sync (or the set-up): no offline payment until it is set. */
  clockBehind: boolean;
  /** The core refuses this terminal's payments (its code): none taken offline could be forwarded. */
  forwardingBlocked: string | null;
}

const HOUR_MS = 3_600_000;

/**
 * How far the clock may read behind the last sync before the time since it is called unknown: a
 * clock set back by more (a flat RTC battery, a wrong manual setting) would otherwise stretch the
 * time limit by as much. Five minutes absorbs an NTP step and a few seconds of drift.
 */
export const CLOCK_BEHIND_TOLERANCE_MS = 5 * 60_000;

function hoursSince(iso: string, now: Date): number {
  return (now.getTime() - Date.parse(iso)) / HOUR_MS;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
/** Hours to 0.01 h (36 s), up: a limit passed by a few seconds is not "0 h over". */
const ceil2 = (n: number) => Math.ceil(n * 100 - 1e-9) / 100;

/** A duration for people: "1 h 30 min", "4 min", "under a minute". */
export function formatHours(hours: number): string {
  const minutes = Math.floor(hours * 60);
  if (minutes < 1) return 'under a minute';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Every limit this payment would break; empty when it may be accepted offline. */
export function evaluateOfflinePolicy(
  limits: OfflineLimits,
  stats: OfflineStats,
  amount: Money,
  now: Date,
): OfflineRefusal[] {
  const currency = limits.perPayment.currency;
  const money = (minor: number) => formatMoney({ minor, currency });
  if (amount.currency !== currency) {
    return [
      {
        limit: 'currency',
        max: 0,
        value: amount.minor,
        over: amount.minor,
        unit: 'minor',
        currency: amount.currency,
        message: `Offline payments are taken in ${currency} only; this payment is in ${amount.currency}.`,
      },
    ];
  }
  const refusals: OfflineRefusal[] = [];
  if (amount.minor > limits.perPayment.minor) {
    const over = amount.minor - limits.perPayment.minor;
    refusals.push({
      limit: 'perPayment',
      max: limits.perPayment.minor,
      value: amount.minor,
      over,
      unit: 'minor',
      currency,
      message: `Offline payments are limited to ${money(limits.perPayment.minor)} each; this one is ${money(amount.minor)}, ${money(over)} over.`,
    });
  }
  const stored = stats.totals[currency] ?? 0;
  if (stored + amount.minor > limits.totalStored.minor) {
    const over = stored + amount.minor - limits.totalStored.minor;
    refusals.push({
      limit: 'totalStored',
      max: limits.totalStored.minor,
      value: stored + amount.minor,
      over,
      unit: 'minor',
      currency,
      message: `Offline payments stored may total ${money(limits.totalStored.minor)}; ${money(stored)} is stored, so this one would be ${money(over)} over. Connect to sync first.`,
    });
  }
  if (stats.pending + 1 > limits.maxStoredCount) {
    refusals.push({
      limit: 'storedCount',
      max: limits.maxStoredCount,
      value: stats.pending + 1,
      over: stats.pending + 1 - limits.maxStoredCount,
      unit: 'payments',
      message: `At most ${limits.maxStoredCount} offline payments may be stored; ${stats.pending} are. Connect to sync first.`,
    });
  }
  if (stats.forwardingBlocked) {
    refusals.push({
      limit: 'forwarding',
      max: 0,
      value: 1,
      over: 1,
      unit: 'payments',
      message: forwardingBlockedMessage(stats.forwardingBlocked),
    });
  }
  const since = stats.lastSyncAt ?? stats.createdAt;
  const hours = hoursSince(since, now);
  const sinceWhat = stats.lastSyncAt ? 'its last sync' : 'the time it was set up';
  if (-hours * HOUR_MS > CLOCK_BEHIND_TOLERANCE_MS) {
    refusals.push({
      limit: 'clock',
      max: 0,
      value: ceil2(-hours),
      over: ceil2(-hours),
      unit: 'hours',
      message: `The terminal's clock reads ${now.toISOString()}, ${formatHours(-hours)} before ${sinceWhat} (${since}), so the time since then can't be told and offline payments are refused. Set the clock right, or connect to sync.`,
    });
  } else if (hours > limits.maxHoursSinceSync) {
    const over = hours - limits.maxHoursSinceSync;
    refusals.push({
      limit: 'sinceSync',
      max: limits.maxHoursSinceSync,
      value: ceil2(hours),
      over: ceil2(over),
      unit: 'hours',
      message: `The terminal must sync at least every ${limits.maxHoursSinceSync} h to take offline payments; ${stats.lastSyncAt ? 'the last sync was' : 'it has not synced since it was set up'} ${formatHours(hours)} ago, ${formatHours(over)} over. Connect to sync first.`,
    });
  }
  return refusals;
}

/** How much offline room is left under each limit. */
export function offlineRoom(limits: OfflineLimits, stats: OfflineStats, now: Date): OfflineRoom {
  const currency = limits.perPayment.currency;
  const storedLeft = Math.max(0, limits.totalStored.minor - (stats.totals[currency] ?? 0));
  const countLeft = Math.max(0, limits.maxStoredCount - stats.pending);
  const since = Date.parse(stats.lastSyncAt ?? stats.createdAt);
  const due = since + limits.maxHoursSinceSync * HOUR_MS;
  const clockBehind = since - now.getTime() > CLOCK_BEHIND_TOLERANCE_MS;
  const hoursLeft = clockBehind ? 0 : Math.max(0, round1((due - now.getTime()) / HOUR_MS));
  const open = countLeft > 0 && due >= now.getTime() && !clockBehind && !stats.forwardingBlocked;
  return {
    nextPaymentMax: { minor: open ? Math.min(limits.perPayment.minor, storedLeft) : 0, currency },
    totalStored: { minor: storedLeft, currency },
    storedCount: countLeft,
    syncDueBy: new Date(due).toISOString(),
    hoursLeft,
    clockBehind,
    forwardingBlocked: stats.forwardingBlocked?.code ?? null,
  };
}

/** Why no offline payment is taken while the core refuses this terminal's payments, and what to do. */
function forwardingBlockedMessage(block: { code: string; message: string; at: string }): string {
  const what =
    block.code === 'TERMINAL_REVOKED'
      ? 'The payment core has revoked this terminal'
      : block.code === 'JOURNAL_DIVERGED' || block.code === 'JOURNAL_BEHIND'
        ? "The payment core does not recognise this terminal's journal (a restored or copied data folder?)"
        : `The payment core refuses this terminal's payments (${block.code})`;
  return `${what} since ${block.at}, so no payment taken offline here could be forwarded: offline payments are refused. ${block.message} Keep the data folder as it is and contact the operator.`;
}
