/**
 * Resolving a payment whose online outcome is unknown (the call timed out, or the terminal stopped
 * mid-call), as wallet providers prescribe: ask the core (query); if it has no final answer, cancel
 * it, which refuses it for good or reverses it. Never send it again another way: that is how a
 * customer is charged twice. A call in flight in this process must not be cancelled under its own
 * feet, so a payment only becomes eligible once its own online call would have timed out.
 */
import type { Journal, StoredPayment } from '../journal/journal.ts';
import {
  type CancelRequest,
  type CancelResponse,
  ORDER_SCHEME,
  ORDER_VALID_S,
  type QueryResponse,
} from '../protocol/wire.ts';

/** What resolving needs from the core: `CoreClient` has it, and so does checkout's `PaymentCore`. */
export interface InDoubtCore {
  query(paymentId: string, options?: { signal?: AbortSignal }): Promise<QueryResponse>;
  cancel(
    paymentId: string,
    request: CancelRequest,
    options?: { signal?: AbortSignal },
  ): Promise<CancelResponse>;
}

export type Resolution = 'approved' | 'declined' | 'still_unknown';

export interface ResolveOptions {
  /** How long after capture a payment's own call may still be in flight. */
  inFlightMs: number;
  /** Wallet practice: poll for about a minute while the customer confirms, then cancel. */
  cancelAfterMs: number;
  now: () => Date;
  /** Time allowed for each query and cancel (a cashier waiting); default: the client's own. */
  callTimeoutMs?: number;
}

/** Alipay: poll every 3–5 s for up to about 60 s, then cancel (FIELD-NOTES, wallet payments). */
export const DEFAULT_CANCEL_AFTER_MS = 60_000;

/** Checkout may record the outcome of its own call meanwhile: only a payment still in doubt moves. */
const IN_DOUBT = { onlyFrom: ['captured', 'unknown'] } as const;

export async function resolvePayment(
  journal: Journal,
  client: InDoubtCore,
  payment: StoredPayment,
  options: ResolveOptions,
): Promise<Resolution> {
  if (mayBeInFlight(payment, options)) return 'still_unknown';
  const age = options.now().getTime() - Date.parse(payment.capturedAt);
  const call = () =>
    options.callTimeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.callTimeoutMs) };
  const answer = await client.query(payment.paymentId, call());
  switch (answer.state) {
    case 'approved':
    case 'settled':
      journal.transitionMany(
        [{ paymentId: payment.paymentId, decision: { status: 'approved', mode: 'online' } }],
        IN_DOUBT,
      );
      return 'approved';
    case 'declined':
    case 'declined_after_sync':
    case 'cancelled':
      journal.transitionMany(
        [
          {
            paymentId: payment.paymentId,
            decision: {
              status: 'declined',
              mode: 'online',
              reason: answer.reason ?? `the core says ${answer.state}`,
            },
          },
        ],
        IN_DOUBT,
      );
      return 'declined';
    case 'pending':
      if (age < options.cancelAfterMs) return 'still_unknown';
      break;
    default:
      break;
  }
  const cancelled = await client.cancel(
    payment.paymentId,
    {
      seq: payment.seq,
      amount: payment.amount,
      scheme: payment.scheme,
      codeHash: payment.codeHash,
      capturedAt: payment.capturedAt,
    },
    call(),
  );
  const approved = cancelled.state === 'approved' || cancelled.state === 'settled';
  journal.transitionMany(
    [
      {
        paymentId: payment.paymentId,
        decision: approved
          ? { status: 'approved', mode: 'online' }
          : {
              status: 'declined',
              mode: 'online',
              reason: cancelled.reason ?? 'cancelled after no answer in time',
            },
      },
    ],
    IN_DOUBT,
  );
  return approved ? 'approved' : 'declined';
}

/**
 * A merchant-presented QR order waits for the customer as long as the core takes it, and the kiosk
 * that showed it cancels it then: only a kiosk stopped mid-wait leaves one for this resolution.
 */
function inFlightMs(
  payment: Pick<StoredPayment, 'scheme'>,
  options: Pick<ResolveOptions, 'inFlightMs'>,
): number {
  return payment.scheme === ORDER_SCHEME ? ORDER_VALID_S * 1000 + options.inFlightMs : options.inFlightMs;
}

/** Past the core call's own timeout, how long its answer may still take to be recorded. */
const IN_FLIGHT_MARGIN_MS = 5_000;

/** How long after capture a payment's own call to the core (of this timeout) may be under way. */
export function inFlightWindowMs(coreTimeoutMs: number): number {
  return coreTimeoutMs + IN_FLIGHT_MARGIN_MS;
}

/** A payment captured so recently that its own call to the core may still be under way. */
export function mayBeInFlight(
  payment: Pick<StoredPayment, 'status' | 'scheme' | 'capturedAt'>,
  options: Pick<ResolveOptions, 'inFlightMs' | 'now'>,
): boolean {
  const age = options.now().getTime() - Date.parse(payment.capturedAt);
  return payment.status === 'captured' && age < inFlightMs(payment, options);
}
