/**
 * The online path of checkout: what the terminal needs from a payment core. The sync issue's HTTP
 * client implements it; tests use an in-process fake that implements the same interface.
 *
 * Rules:
 * - `authorise` is idempotent by `paymentId`: sending it again never charges twice.
 * - When no request could have reached the core (connection refused, DNS failure, no route), the
 *   implementation throws {@link CoreUnreachableError}; checkout then decides the payment offline.
 * - When a request may have reached the core but no answer came in time, it throws
 *   {@link CoreTimeoutError}; the payment becomes `unknown` and is resolved by `query`, then `cancel`,
 *   never by sending it offline as well.
 * - `signal` aborts a call; an aborted call counts as a timeout.
 */
import type { Money } from '../../sync/protocol/money.ts';

export interface AuthoriseRequest {
  paymentId: string;
  seq: number;
  amount: Money;
  scheme: string;
  code: string;
  capturedAt: string;
}

export type AuthoriseResult = { outcome: 'approved' } | { outcome: 'declined'; reason: string };

export type QueryResult =
  | { state: 'approved' }
  | { state: 'declined'; reason: string }
  /** The customer is still confirming in the wallet app: ask again. */
  | { state: 'pending' }
  /** The core never received the payment. */
  | { state: 'not_found' };

export type CancelResult = { outcome: 'cancelled' } | { outcome: 'too_late'; reason: string };

export interface PaymentCore {
  authorise(request: AuthoriseRequest, options: { signal: AbortSignal }): Promise<AuthoriseResult>;
  query(paymentId: string, options: { signal: AbortSignal }): Promise<QueryResult>;
  cancel(paymentId: string, options: { signal: AbortSignal }): Promise<CancelResult>;
}

export class CoreUnreachableError extends Error {
  readonly code = 'CORE_UNREACHABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreUnreachableError';
  }
}

export class CoreTimeoutError extends Error {
  readonly code = 'CORE_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreTimeoutError';
  }
}
