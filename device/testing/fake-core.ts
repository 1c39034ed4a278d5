/**
 * An in-process PaymentCore for checkout tests: it implements the interface and its rules (one
 * outcome per paymentId however often it is asked; cancel refuses a payment for good or reverses
 * it), with a scripted behaviour for authorisation.
 */

import type {
  CancelRequest,
  CancelResponse,
  CorePaymentState,
  QueryResponse,
} from '../../sync/protocol/wire.ts';
import {
  type AuthoriseRequest,
  type AuthoriseResponse,
  CoreConnectionLostError,
  CoreRejectedError,
  CoreTimeoutError,
  CoreUnreachableError,
  type PaymentCore,
} from '../checkout/payment-core.ts';

export type FakeBehaviour =
  | 'approve'
  | 'decline'
  /** No connection: nothing reaches the core. */
  | 'unreachable'
  /** The core approves, then the connection breaks before the answer arrives. */
  | 'lost-after-approve'
  /** The core never gets it and never answers: the call times out. */
  | 'hang'
  /** The call times out, and the core stays out of reach for the query too. */
  | 'timeout-then-gone'
  /** The core refuses the terminal itself: its seq is another payment's (a copied data folder). */
  | 'diverged';

export class FakeCore implements PaymentCore {
  readonly received: AuthoriseRequest[] = [];
  readonly states = new Map<string, { state: CorePaymentState; reason?: string }>();

  constructor(public behaviour: FakeBehaviour) {}

  async authorise(
    request: AuthoriseRequest,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<AuthoriseResponse> {
    const known = this.states.get(request.paymentId);
    if (known && this.behaviour !== 'unreachable') {
      return {
        paymentId: request.paymentId,
        outcome: known.state === 'approved' ? 'approved' : 'declined',
        reason: known.reason,
        duplicate: true,
      };
    }
    switch (this.behaviour) {
      case 'unreachable':
        throw new CoreUnreachableError('connect ECONNREFUSED 127.0.0.1:7430');
      case 'hang':
      case 'timeout-then-gone':
        this.received.push(request);
        await new Promise((resolve) => setTimeout(resolve, options.timeoutMs ?? 50));
        throw new CoreTimeoutError('no answer in time');
      case 'diverged':
        throw new CoreRejectedError(
          409,
          'JOURNAL_DIVERGED',
          `The terminal's journal disagrees with the payments the core holds. It sent payment ${request.paymentId} at seq ${request.seq}, which the core holds as another payment.`,
        );
      case 'lost-after-approve':
        this.received.push(request);
        this.states.set(request.paymentId, { state: 'approved' });
        throw new CoreConnectionLostError('socket hang up');
      default: {
        this.received.push(request);
        const approved = this.behaviour === 'approve';
        this.states.set(
          request.paymentId,
          approved ? { state: 'approved' } : { state: 'declined', reason: 'insufficient balance' },
        );
        return approved
          ? { paymentId: request.paymentId, outcome: 'approved', duplicate: false }
          : {
              paymentId: request.paymentId,
              outcome: 'declined',
              reason: 'insufficient balance',
              duplicate: false,
            };
      }
    }
  }

  async query(paymentId: string): Promise<QueryResponse> {
    if (this.behaviour === 'timeout-then-gone') throw new CoreUnreachableError('connect ECONNREFUSED');
    const known = this.states.get(paymentId);
    return known
      ? { paymentId, state: known.state, ...(known.reason ? { reason: known.reason } : {}) }
      : { paymentId, state: 'not_found' };
  }

  async cancel(paymentId: string, _request: CancelRequest): Promise<CancelResponse> {
    const known = this.states.get(paymentId);
    const reason = 'cancelled: no answer reached the terminal in time';
    this.states.set(paymentId, { state: 'cancelled', reason });
    return {
      paymentId,
      outcome: 'cancelled',
      state: 'cancelled',
      reason: known ? `${reason} (reversed)` : reason,
    };
  }
}
