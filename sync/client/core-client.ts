/**
 * The terminal's client for the core: signed HTTP requests (sync/protocol/signing.ts), answers
 * validated by the shared schemas, failures classified (errors.ts). The clock offset to the core is
 * learned from every answer's Date header and used to date signatures, so a terminal whose clock is
 * a day off still signs fresh requests after its first answer.
 *
 * Calls may overlap. A call that times out is aborted; whether the core acted on it is unknown.
 */
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { fastUploadResponse } from '../protocol/fast-path.ts';
import { signRequest } from '../protocol/signing.ts';
import {
  type ActivateRequest,
  ActivateResponse,
  type AuthoriseRequest,
  AuthoriseResponse,
  type CancelRequest,
  CancelResponse,
  ErrorResponse,
  type OrderRequest,
  OrderResponse,
  PATHS,
  QueryResponse,
  type RefundRequest,
  RefundResponse,
  ResultsResponse,
  SyncStateResponse,
  type UploadRequest,
  UploadResponse,
} from '../protocol/wire.ts';
import {
  CoreConnectionLostError,
  CoreProtocolError,
  CoreRejectedError,
  CoreTimeoutError,
  CoreUnreachableError,
  causeCode,
} from './errors.ts';

/** Long enough for a batch of 2,000 payments on a slow link; online authorisation has its own. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Error codes of a connection that was never made: the request can't have reached the core. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNECT_TIMEOUT',
  // TLS refused before a byte of the request was sent: on a Wi-Fi with a sign-in page, the portal
  // answers in the core's name with its own certificate.
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/**
 * A connection not made in this long is not coming: the core is unreachable, said in seconds rather
 * than after the whole request timeout, so a payment can be stored offline while the customer waits.
 */
export const CONNECT_TIMEOUT_MS = 3_000;

/** The server closed an idle keep-alive connection just as we sent on it: nothing reached it. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

export interface CoreClientOptions {
  baseUrl: string;
  terminalId: string;
  sign: (data: Buffer) => Buffer;
  /** The terminal's own clock (for tests: a skewed one). */
  localNow?: () => number;
  /** Starting estimate of (core clock − terminal clock), in ms. */
  clockOffsetMs?: number;
  /** Told the estimate, and the terminal's clock then, at every answer that carries a Date. */
  onClockOffset?: (offsetMs: number, localMs: number) => void;
  timeoutMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SendOptions<T> extends CallOptions {
  /** Accepts a certainly valid answer before the schema does (see sync/protocol/fast-path.ts). */
  fast?: (value: unknown) => T | null;
}

const NOT_JSON = Symbol('not JSON');

/** An error in the core's shape, whatever its code (a newer core may have codes this one lacks). */
const AnyErrorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export class CoreClient {
  private offsetMs: number;
  /** Keep-alive connections to the core; `close()` ends them. */
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(private readonly options: CoreClientOptions) {
    this.offsetMs = options.clockOffsetMs ?? 0;
  }

  /** Closes idle connections (a CLI process can then exit at once). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** (core clock − terminal clock), as last learned. */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  private localNow(): number {
    return (this.options.localNow ?? Date.now)();
  }

  activate(body: ActivateRequest, options?: CallOptions) {
    return this.call('POST', PATHS.activate, body, ActivateResponse, options);
  }

  authorise(body: AuthoriseRequest, options?: CallOptions) {
    return this.call('POST', PATHS.authorise, body, AuthoriseResponse, options);
  }

  query(paymentId: string, options?: CallOptions) {
    return this.call('GET', PATHS.payment(paymentId), undefined, QueryResponse, options);
  }

  cancel(paymentId: string, body: CancelRequest, options?: CallOptions) {
    return this.call('POST', PATHS.cancel(paymentId), body, CancelResponse, options);
  }

  /** A merchant-presented QR order; the customer's wallet pays it, the terminal queries or cancels it. */
  createOrder(body: OrderRequest, options?: CallOptions) {
    return this.call('POST', PATHS.orders, body, OrderResponse, options);
  }

  /** Refunds a whole approved or settled payment to the customer's wallet. */
  refund(paymentId: string, body: RefundRequest, options?: CallOptions) {
    return this.call('POST', PATHS.refund(paymentId), body, RefundResponse, options);
  }

  syncState(options?: CallOptions) {
    return this.call('GET', PATHS.syncState, undefined, SyncStateResponse, options);
  }

  upload(body: UploadRequest, options?: CallOptions) {
    return this.call('POST', PATHS.upload, body, UploadResponse, { ...options, fast: fastUploadResponse });
  }

  results(fromSeq: number, limit: number, options?: CallOptions) {
    return this.call(
      'GET',
      `${PATHS.results}?fromSeq=${fromSeq}&limit=${limit}`,
      undefined,
      ResultsResponse,
      options,
    );
  }

  /** One signed request; a stale signature (clock just corrected) is signed again once. */
  async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    target: string,
    body: unknown,
    schema: S,
    options: SendOptions<z.infer<S>> = {},
  ): Promise<z.infer<S>> {
    try {
      return await this.send(method, target, body, schema, options);
    } catch (err) {
      // Signed afresh either way: a signature's nonce is good for one request.
      if (err instanceof CoreRejectedError && err.code === 'STALE_REQUEST') {
        return this.send(method, target, body, schema, options);
      }
      if (err instanceof StaleSocketError) {
        try {
          return await this.send(method, target, body, schema, options);
        } catch (again) {
          throw again instanceof StaleSocketError ? this.lost(method, target, again.cause) : again;
        }
      }
      throw err;
    }
  }

  private async send<S extends z.ZodType>(
    method: 'GET' | 'POST',
    target: string,
    body: unknown,
    schema: S,
    options: SendOptions<z.infer<S>>,
  ): Promise<z.infer<S>> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const local = this.localNow();
    const headers = signRequest({
      method,
      target,
      body: text,
      keyid: this.options.terminalId,
      sign: this.options.sign,
      now: local + this.offsetMs,
      localNow: local,
    });
    const timeout = AbortSignal.timeout(
      options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    const url = new URL(target, this.options.baseUrl);
    let status: number;
    let answer: string;
    let date: string | undefined;
    try {
      ({
        status,
        body: answer,
        date,
      } = await this.exchange(url, method, headers, body === undefined ? undefined : text, signal));
    } catch (err) {
      if (err instanceof StaleSocketError && !signal.aborted) throw err;
      if (signal.aborted) {
        throw new CoreTimeoutError(
          `No answer from the core at ${this.options.baseUrl} in time (${method} ${target}).`,
          {
            cause: err,
          },
        );
      }
      const code = causeCode(err);
      if (code && NOT_CONNECTED.has(code)) {
        throw new CoreUnreachableError(`The core at ${this.options.baseUrl} can't be reached (${code}).`, {
          cause: err,
        });
      }
      throw this.lost(method, target, err);
    }
    let json: unknown;
    try {
      json = answer === '' ? undefined : JSON.parse(answer);
    } catch {
      json = NOT_JSON;
    }
    const ok = status >= 200 && status < 300;
    // The core answers JSON, and every error as {error: {code, message}}. Anything else came from
    // something in between: a captive portal (a redirect, a sign-in page), a proxy's own error page.
    // Its Date header says nothing of the core's clock.
    const fromCore = ok ? json !== NOT_JSON : AnyErrorResponse.safeParse(json).success;
    if (fromCore) this.learnOffset(date);
    else if (status < 500 || status === 511) {
      // A redirect or a page that is not the core's: the request stopped there, and never reached
      // the core (which would have answered itself). As good as no connection: offline. So is a
      // 511, "network authentication required", which only a captive portal sends.
      throw new CoreUnreachableError(
        `Something other than the core at ${this.options.baseUrl} answered (HTTP ${status}${ok ? ', not JSON' : ''}): a Wi-Fi sign-in page or a proxy? The core was not reached.`,
      );
    }
    if (!ok) {
      const error = ErrorResponse.safeParse(json);
      // The core could not reach its database and did nothing: as good as not reached (a payment
      // may take the offline path; a sync tries again later).
      if (error.success && error.data.error.code === 'CORE_UNAVAILABLE')
        throw new CoreUnreachableError(
          `The core at ${this.options.baseUrl} is up but can't reach its database: ${error.data.error.message}`,
        );
      if (error.success) {
        throw new CoreRejectedError(
          status,
          error.data.error.code,
          error.data.error.message,
          error.data.error.field,
        );
      }
      // A proxy's 502, 503 or 504 (the core may have acted: in doubt), or an error code this
      // terminal doesn't know yet, from a newer core.
      const message = fromCore ? (json as { error: { message: string } }).error.message : null;
      throw new CoreRejectedError(status, 'HTTP_ERROR', message ?? `The core answered ${status}.`);
    }
    if (json === NOT_JSON)
      throw new CoreProtocolError(`The core answered ${status} with a body that is not JSON.`);
    const accepted = options.fast?.(json);
    if (accepted) return accepted;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CoreProtocolError(
        `The core's answer to ${method} ${target} does not match the protocol: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }

  private lost(method: string, target: string, err: unknown): CoreConnectionLostError {
    const code = causeCode(err);
    return new CoreConnectionLostError(
      `The connection to the core at ${this.options.baseUrl} broke (${code ?? (err as Error).message}) during ${method} ${target}.`,
      { cause: err },
    );
  }

  /**
   * One HTTP exchange over a keep-alive connection. node:http rather than fetch: on loopback, fetch's
   * p99 was ten times node:http's (4.7 ms against 0.45 ms), and an online payment waits on it.
   */
  private exchange(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<{ status: number; body: string; date: string | undefined }> {
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = transport.request(
        url,
        {
          method,
          agent,
          signal,
          headers: {
            ...headers,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          answered = true;
          const date = res.headers.date;
          const chunks: Buffer[] = [];
          const cut = () =>
            reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (!res.complete) cut();
            else resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), date });
          });
          res.on('error', reject);
          res.on('aborted', cut);
        },
      );
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          req.destroy(
            Object.assign(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`), {
              code: 'ECONNECT_TIMEOUT',
            }),
          );
        }, CONNECT_TIMEOUT_MS);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.on('error', (err: Error & { code?: string }) => {
        const stale = req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        reject(stale ? new StaleSocketError(err) : err);
      });
      req.end(body);
    });
  }

  /**
   * Date has a resolution of a second, so the estimate is the middle of that second; it changes only
   * when it moves by more than a second, so signatures don't jitter.
   */
  private learnOffset(date: string | undefined): void {
    if (!date) return;
    const core = Date.parse(date);
    if (Number.isNaN(core)) return;
    const local = this.localNow();
    const estimate = core + 500 - local;
    if (Math.abs(estimate - this.offsetMs) > 1_000) this.offsetMs = estimate;
    this.options.onClockOffset?.(this.offsetMs, local);
  }
}
