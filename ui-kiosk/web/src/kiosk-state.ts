/**
 * What the kiosk knows of the terminal, as one pure reducer fed by the host's events and the
 * answers to the kiosk's own calls. Answers and events can arrive in either order (an HTTP answer
 * may come after the event it caused), so a checkout never moves back to an earlier phase, and a
 * checkout the cashier has left is not brought back by a late event.
 */
import type {
  CheckoutPhase,
  CheckoutState,
  HostEvent,
  HostStatus,
  OfflineQueue,
  PaymentRecord,
  ScanSummary,
  SyncProgress,
} from './api/contract.ts';
import type { StreamState } from './api/events.ts';

export interface KioskState {
  stream: StreamState;
  /** The host refused this page's token (it restarted, or the link is old). */
  tokenRefused: boolean;
  status: HostStatus | null;
  /** The checkout on screen; null while the keypad shows. */
  checkout: CheckoutState | null;
  /** The offline room when the checkout on screen started: names the limit of an offline decline. */
  queueAtStart: OfflineQueue | null;
  /** Checkouts the cashier has left (cancelled, or "next payment" pressed). */
  dismissed: readonly string[];
  /** The last scan while a checkout waits, when it was not a payment code. */
  strayScan: ScanSummary | null;
  /** Latest first; null until loaded. */
  payments: PaymentRecord[] | null;
  sync: SyncProgress | null;
}

export type KioskAction =
  | { type: 'event'; event: HostEvent }
  | { type: 'stream'; state: StreamState }
  /** An HTTP answer with a checkout (start, code, cancel, or the current one after a reconnect). */
  | { type: 'checkout'; checkout: CheckoutState }
  /** The cashier leaves the checkout on screen. */
  | { type: 'dismiss' }
  | { type: 'payments'; payments: PaymentRecord[] }
  | { type: 'token_refused' };

export const initialKioskState: KioskState = {
  stream: 'connecting',
  tokenRefused: false,
  status: null,
  checkout: null,
  queueAtStart: null,
  dismissed: [],
  strayScan: null,
  payments: null,
  sync: null,
};

/** How many left checkouts are remembered: late events come within seconds, not checkouts later. */
const DISMISSED_KEPT = 8;

const PHASE_ORDER: Record<CheckoutPhase, number> = {
  waiting_code: 0,
  working: 1,
  done: 2,
  failed: 2,
  cancelled: 2,
};

export function isActive(checkout: CheckoutState | null): boolean {
  return checkout?.phase === 'waiting_code' || checkout?.phase === 'working';
}

function dismiss(state: KioskState, checkoutId: string): KioskState {
  return {
    ...state,
    checkout: null,
    strayScan: null,
    dismissed: [checkoutId, ...state.dismissed.filter((id) => id !== checkoutId)].slice(0, DISMISSED_KEPT),
  };
}

function receiveCheckout(state: KioskState, next: CheckoutState): KioskState {
  if (state.dismissed.includes(next.checkoutId)) return state;
  const current = state.checkout;
  if (current && current.checkoutId === next.checkoutId) {
    if (PHASE_ORDER[next.phase] < PHASE_ORDER[current.phase]) return state;
    // A `done` repeated with the receipt report must not lose a payment update seen in between.
    const payment =
      current.payment && next.payment && current.payment.updatedAt > next.payment.updatedAt
        ? current.payment
        : next.payment;
    const merged = { ...current, ...next, ...(payment ? { payment } : {}) };
    return next.phase === 'cancelled' ? dismiss(state, next.checkoutId) : { ...state, checkout: merged };
  }
  // Another checkout: a new one (this kiosk's or one started elsewhere). A finished one that this
  // kiosk never showed is old news (the host keeps the last one until the next starts).
  if (!isActive(next)) return state;
  return {
    ...state,
    checkout: next,
    queueAtStart: state.status?.queue ?? null,
    strayScan: null,
  };
}

function upsertPayment(list: PaymentRecord[] | null, payment: PaymentRecord): PaymentRecord[] | null {
  if (!list) return list;
  const others = list.filter((p) => p.paymentId !== payment.paymentId);
  return [payment, ...others].sort((a, b) => b.seq - a.seq);
}

function receiveEvent(state: KioskState, event: HostEvent): KioskState {
  switch (event.type) {
    case 'hello':
    case 'status':
      return { ...state, status: event.status, tokenRefused: false };
    case 'checkout':
      return receiveCheckout(state, event.checkout);
    case 'payment': {
      const checkout =
        state.checkout?.payment?.paymentId === event.payment.paymentId
          ? { ...state.checkout, payment: event.payment }
          : state.checkout;
      return { ...state, checkout, payments: upsertPayment(state.payments, event.payment) };
    }
    case 'scan':
      return state.checkout?.phase === 'waiting_code' && event.scan.kind !== 'payment_code'
        ? { ...state, strayScan: event.scan }
        : state;
    case 'sync':
      return { ...state, sync: event.progress.done ? null : event.progress };
    default:
      return state;
  }
}

export function kioskReducer(state: KioskState, action: KioskAction): KioskState {
  switch (action.type) {
    case 'event':
      return receiveEvent(state, action.event);
    case 'stream':
      return { ...state, stream: action.state };
    case 'checkout':
      return receiveCheckout(state, action.checkout);
    case 'dismiss':
      return state.checkout ? dismiss(state, state.checkout.checkoutId) : state;
    case 'payments':
      return { ...state, payments: [...action.payments].sort((a, b) => b.seq - a.seq) };
    case 'token_refused':
      return { ...state, tokenRefused: true };
  }
}
