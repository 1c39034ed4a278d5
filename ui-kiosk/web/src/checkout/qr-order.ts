/**
 * The merchant's QR at the kiosk, as pure functions: whether the cashier may offer it now (a QR
 * payment is made at the core, so it needs the core, reachable, and the event stream that brings
 * its result), and the countdown to the order's end.
 */
import { type HostStatus, QR_ORDER_VALID_S } from '../api/contract.ts';
import type { StreamState } from '../api/events.ts';
import { connectivity } from './offline-room.ts';

export type QrOffer =
  | { available: true }
  | {
      available: false;
      /**
       * `no_core`: the terminal has no core (not activated); `unreachable`: the core did not answer
       * the last attempt; `no_link`: the kiosk's link to the terminal is down.
       */
      reason: 'no_core' | 'unreachable' | 'no_link';
    };

/**
 * Whether "show QR" may be pressed. A core not tried yet (`checking`) is offered: the host tries it
 * and refuses with CORE_UNREACHABLE if it does not answer, and the checkout keeps waiting for a code.
 */
export function qrOffer(status: HostStatus, stream: StreamState): QrOffer {
  if (stream !== 'open') return { available: false, reason: 'no_link' };
  switch (connectivity(status)) {
    case 'offline_only':
      return { available: false, reason: 'no_core' };
    case 'unreachable':
      return { available: false, reason: 'unreachable' };
    default:
      return { available: true };
  }
}

/**
 * Milliseconds left to pay the order, at `now`. `expiresAt` is by the core's clock and `now` by the
 * kiosk's, which may differ; so the time left is never more than the order's validity counted from
 * when the kiosk first showed the QR (`shownAt`), and a core clock ahead of the kiosk's can't
 * promise the customer more time than the core gives. Never negative.
 */
export function qrMsLeft(order: { expiresAt: string; shownAt: number }, now: number): number {
  const byKiosk = order.shownAt + QR_ORDER_VALID_S * 1000 - now;
  const expires = Date.parse(order.expiresAt);
  const byCore = Number.isNaN(expires) ? byKiosk : expires - now;
  return Math.max(0, Math.min(byCore, byKiosk));
}

/** "01:59": minutes and seconds left, rounded up (it reads 00:00 only once the time is up). */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(seconds / 60))}:${two(seconds % 60)}`;
}
