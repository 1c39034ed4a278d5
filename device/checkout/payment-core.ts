/**
 * The online path of checkout: what the terminal needs from a payment core, in the wire protocol's
 * terms. `CoreClient` (sync/client) implements it over HTTP; tests use an in-process fake that
 * implements the same interface.
 *
 * Rules:
 * - `authorise` is idempotent by `paymentId`: sending it again never charges twice; a retry gets
 *   the first outcome (`duplicate: true`).
 * - When no request could have reached the core (connection refused, DNS failure, no route), a call
 *   throws {@link CoreUnreachableError}; checkout then decides the payment offline.
 * - When a request may have reached the core but no answer came in time (or the connection broke),
 *   it throws {@link CoreTimeoutError} or {@link CoreConnectionLostError}; the payment becomes
 *   `unknown` and is resolved by `query`, then `cancel`, never by sending it offline as well.
 * - `signal` aborts a call; an aborted call counts as a timeout.
 * - A QR order the customer has not paid answers `pending` to `query`; the terminal cancels it when
 *   the cashier gives up or the order expires.
 */
import type { InDoubtCore } from '../../sync/client/in-doubt.ts';
import type {
  AuthoriseRequest,
  AuthoriseResponse,
  OrderRequest,
  OrderResponse,
} from '../../sync/protocol/wire.ts';

export {
  blocksForwarding,
  CoreConnectionLostError,
  CoreRejectedError,
  CoreTimeoutError,
  CoreUnreachableError,
  OFFLINE_CODES,
} from '../../sync/client/errors.ts';
export type { AuthoriseRequest, AuthoriseResponse } from '../../sync/protocol/wire.ts';

export interface PaymentCore extends InDoubtCore {
  authorise(
    request: AuthoriseRequest,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<AuthoriseResponse>;
  /**
   * A merchant-presented QR order (idempotent by `paymentId` as `authorise` is); the customer's
   * wallet pays it, `query` tells when, `cancel` ends it. A core without orders leaves it out.
   */
  createOrder?(
    request: OrderRequest,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<OrderResponse>;
}
