/**
 * How a call to the core can fail, from the terminal's side. What matters is whether the request
 * may have reached the core: if it cannot have (unreachable), the payment may take the offline path;
 * if it may have (timeout, connection lost), the payment is in doubt and must be resolved by query
 * and cancel, never sent again another way.
 */
import type { ErrorCode } from '../protocol/wire.ts';

/** No connection could be made: the request did not reach the core. */
export class CoreUnreachableError extends Error {
  readonly code = 'CORE_UNREACHABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreUnreachableError';
  }
}

/** No answer in time: the core may or may not have acted on the request. */
export class CoreTimeoutError extends Error {
  readonly code = 'CORE_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreTimeoutError';
  }
}

/** The connection broke after the request was (perhaps partly) sent: the core may have acted on it. */
export class CoreConnectionLostError extends Error {
  readonly code = 'CORE_CONNECTION_LOST';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreConnectionLostError';
  }
}

const MAYBE_APPLIED_OR_RETRYABLE = new Set<string>(['STALE_REQUEST', 'REPLAYED_REQUEST']);

/** The core answered with an error (4xx, 5xx). `permanent` when sending it again can't help. */
export class CoreRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'HTTP_ERROR',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CoreRejectedError';
  }

  /**
   * Whether sending it again can't help. A stale signature is signed again; a "replayed" answer means
   * an identical copy of this very request reached the core first (a duplicating network), so its
   * outcome is unknown, not refused.
   */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && !MAYBE_APPLIED_OR_RETRYABLE.has(this.code);
  }
}

/** The core's answer did not match the protocol: a version mismatch or a broken proxy. */
export class CoreProtocolError extends Error {
  readonly code = 'CORE_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'CoreProtocolError';
  }
}

/**
 * The core's refusals of this terminal itself that no retry or other payment can get past: while
 * one holds, a payment taken offline could never be forwarded, so the offline policy takes none
 * (OfflineStats.forwardingBlocked). Not UNKNOWN_TERMINAL or BAD_SIGNATURE: those can come from the
 * set-up (another core's URL, a proxy dropping headers), and the payments stored then forward once
 * it is put right; the sync loop stops on them and shows them all the same.
 */
const BLOCKS_FORWARDING: ReadonlySet<string> = new Set([
  'TERMINAL_REVOKED',
  'JOURNAL_DIVERGED',
  'JOURNAL_BEHIND',
]);

/** Whether a permanent refusal with this code blocks forwarding (see BLOCKS_FORWARDING). */
export function blocksForwarding(code: string): boolean {
  return BLOCKS_FORWARDING.has(code);
}

/** Failures of a call that did not reach the core, or lost it before an answer. */
export const OFFLINE_CODES: ReadonlySet<string> = new Set([
  'CORE_UNREACHABLE',
  'CORE_TIMEOUT',
  'CORE_CONNECTION_LOST',
]);

/**
 * Whether a failure's code (or the code recorded of the last sync attempt) means the terminal is
 * offline: the core was not reached. Any answer from the core, even an error, means online.
 */
export function meansOffline(code: string | undefined): boolean {
  return code !== undefined && OFFLINE_CODES.has(code);
}

export function isTransient(err: unknown): boolean {
  return (
    err instanceof CoreUnreachableError ||
    err instanceof CoreTimeoutError ||
    err instanceof CoreConnectionLostError ||
    (err instanceof CoreRejectedError && (err.status >= 500 || MAYBE_APPLIED_OR_RETRYABLE.has(err.code)))
  );
}

/** The system error code (ECONNREFUSED, ...) under a wrapped error such as fetch's "fetch failed". */
export function causeCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}
