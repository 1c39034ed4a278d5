/**
 * Which offline limits a payment would run into, read from the room the host reports
 * (HostStatus.queue.remaining): comparisons of the host's own figures, so the kiosk can name the
 * limit before the customer's code is spent. The host's offline policy (device/checkout/
 * offline-policy.ts) still decides every payment.
 */
import type { HostStatus, Money, OfflineQueue } from '../api/contract.ts';

export type OfflineLimit =
  | { limit: 'perPayment'; max: Money; over: Money }
  | { limit: 'totalStored'; left: Money; over: Money }
  | { limit: 'storedCount'; max: number }
  | { limit: 'sinceSync'; hours: number }
  | { limit: 'clock' }
  | { limit: 'forwarding'; code: string };

/** Every offline limit a payment of `amount` minor units would break; empty when it fits. */
export function offlineLimitsBroken(queue: OfflineQueue, amount: number): OfflineLimit[] {
  const { limits, remaining } = queue;
  const currency = limits.perPayment.currency;
  const broken: OfflineLimit[] = [];
  if (amount > limits.perPayment.minor) {
    broken.push({
      limit: 'perPayment',
      max: limits.perPayment,
      over: { minor: amount - limits.perPayment.minor, currency },
    });
  }
  if (amount > remaining.totalStored.minor) {
    broken.push({
      limit: 'totalStored',
      left: remaining.totalStored,
      over: { minor: amount - remaining.totalStored.minor, currency },
    });
  }
  if (remaining.storedCount <= 0) broken.push({ limit: 'storedCount', max: limits.maxStoredCount });
  if (remaining.forwardingBlocked) broken.push({ limit: 'forwarding', code: remaining.forwardingBlocked });
  if (remaining.clockBehind) broken.push({ limit: 'clock' });
  else if (remaining.hoursLeft <= 0) broken.push({ limit: 'sinceSync', hours: limits.maxHoursSinceSync });
  return broken;
}

export type Connectivity =
  /** A core is configured and answered the last attempt. */
  | 'online'
  /** A core is configured and did not answer the last attempt. */
  | 'unreachable'
  /** A core is configured and has not been tried yet. */
  | 'checking'
  /** No core: every payment is decided by the offline policy. */
  | 'offline_only';

export function connectivity(status: HostStatus): Connectivity {
  if (!status.online.configured) return 'offline_only';
  if (status.online.reachable === true) return 'online';
  return status.online.reachable === false ? 'unreachable' : 'checking';
}
