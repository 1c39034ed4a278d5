/**
 * What the kiosk knows of the terminal, as one pure reducer fed by the host's events and the
 * answers to the kiosk's own calls. Answers and events can arrive in either order (an HTTP answer
 * may come after the event it caused), so a checkout never moves back to an earlier step (see
 * {@link checkoutProgress}), and a checkout the cashier has left is not brought back by a late event.
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
  /** The checkout this kiosk asked to show the merchant's QR for, until refused or left. */
  qrAsked: string | null;
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
  /** The cashier pressed "show QR" for the checkout on screen (before the host answers). */
  | { type: 'qr_asked' }
  /** The host refused to show the QR: the checkout waits for a code as before. */
  | { type: 'qr_refused' }
  | { type: 'payments'; payments: PaymentRecord[] }
  | { type: 'token_refused' };

export const initialKioskState: KioskState = {
  stream: 'connecting',
  tokenRefused: false,
  status: null,
  checkout: null,
  queueAtStart: null,
  dismissed: [],
  qrAsked: null,
  strayScan: null,
  payments: null,
  sync: null,
};

/** How many left checkouts are remembered: late events come within seconds, not checkouts later. */
const DISMISSED_KEPT = 8;

const ACTIVE: ReadonlySet<CheckoutPhase> = new Set(['waiting_code', 'showing_qr', 'working']);

/**
 * How far a checkout has come, for "never move back". A QR checkout is `working` twice: while the
 * core makes the order (no `qr` yet), then, after `showing_qr`, while a cancel is done at the core
 * (the host keeps `qr` from `showing_qr` on). So `qr` counts as progress: a late answer to "show
 * QR" (`working`, no `qr`) can't hide the QR, and a late `showing_qr` can't undo the cancelling.
 */
export function checkoutProgress(checkout: CheckoutState): number {
  switch (checkout.phase) {
    case 'waiting_code':
      return 0;
    case 'working':
      return checkout.qr ? 3 : 1;
    case 'showing_qr':
      return 2;
    case 'done':
    case 'failed':
    case 'cancelled':
      return 4;
  }
}

export function isActive(checkout: CheckoutState | null): boolean {
  return checkout !== null && ACTIVE.has(checkout.phase);
}

/**
 * What a `working` checkout is doing, for the words on screen: a payment being taken (a code is
 * in), the merchant's QR being made at the core (this kiosk asked for it, no `qr` yet), or the QR
 * order being cancelled at the core (`qr` is there: it was shown).
 */
export type WorkingStep = 'taking_payment' | 'making_qr' | 'cancelling_qr';

export function workingStep(checkout: CheckoutState, qrAsked: string | null): WorkingStep {
  if (checkout.qr) return 'cancelling_qr';
  return qrAsked === checkout.checkoutId ? 'making_qr' : 'taking_payment';
}

function dismiss(state: KioskState, checkoutId: string): KioskState {
  return {
    ...state,
    checkout: null,
    strayScan: null,
    qrAsked: null,
    dismissed: [checkoutId, ...state.dismissed.filter((id) => id !== checkoutId)].slice(0, DISMISSED_KEPT),
  };
}

function receiveCheckout(state: KioskState, next: CheckoutState): KioskState {
  if (state.dismissed.includes(next.checkoutId)) return state;
  const current = state.checkout;
  if (current && current.checkoutId === next.checkoutId) {
    if (checkoutProgress(next) < checkoutProgress(current)) return state;
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
    case 'qr_asked':
      return state.checkout ? { ...state, qrAsked: state.checkout.checkoutId } : state;
    case 'qr_refused':
      return { ...state, qrAsked: null };
    case 'payments':
      return { ...state, payments: [...action.payments].sort((a, b) => b.seq - a.seq) };
    case 'token_refused':
      return { ...state, tokenRefused: true };
  }
}
