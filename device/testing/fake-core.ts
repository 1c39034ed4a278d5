/**
 * An in-process PaymentCore for checkout tests: it implements the interface and its rules (one
 * outcome per paymentId however often it is asked), with a scripted behaviour per call.
 */
import {
  type AuthoriseRequest,
  type AuthoriseResult,
  type CancelResult,
  CoreTimeoutError,
  CoreUnreachableError,
  type PaymentCore,
  type QueryResult,
} from '../checkout/payment-core.ts';

export type FakeBehaviour = 'approve' | 'decline' | 'unreachable' | 'hang' | 'timeout' | 'explode';

export class FakeCore implements PaymentCore {
  readonly received: AuthoriseRequest[] = [];
  private readonly outcomes = new Map<string, AuthoriseResult>();

  constructor(public behaviour: FakeBehaviour) {}

  async authorise(request: AuthoriseRequest, { signal }: { signal: AbortSignal }): Promise<AuthoriseResult> {
    switch (this.behaviour) {
      case 'unreachable':
        throw new CoreUnreachableError('connect ECONNREFUSED 127.0.0.1:7430');
      case 'timeout':
        this.received.push(request);
        throw new CoreTimeoutError('no answer in time');
      case 'explode':
        this.received.push(request);
        throw new Error('socket hang up');
      case 'hang':
        this.received.push(request);
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      default: {
        this.received.push(request);
        const known = this.outcomes.get(request.paymentId);
        if (known) return known;
        const outcome: AuthoriseResult =
          this.behaviour === 'approve'
            ? { outcome: 'approved' }
            : { outcome: 'declined', reason: 'insufficient balance' };
        this.outcomes.set(request.paymentId, outcome);
        return outcome;
      }
    }
  }

  async query(paymentId: string): Promise<QueryResult> {
    const known = this.outcomes.get(paymentId);
    if (!known) return { state: 'not_found' };
    return known.outcome === 'approved' ? { state: 'approved' } : { state: 'declined', reason: known.reason };
  }

  async cancel(): Promise<CancelResult> {
    return { outcome: 'cancelled' };
  }
}
