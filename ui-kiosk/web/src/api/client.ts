/**
 * The kiosk's calls to the terminal host over HTTP. Every call carries the per-boot token as
 * `Authorization: Bearer`. A refused call throws {@link HostApiError} with the host's code and its
 * message for the cashier; a call that never got an answer throws it with code `UNREACHABLE`.
 */
import {
  API_PREFIX,
  type ApiErrorBody,
  type CheckoutState,
  type EnterCodeBody,
  type HostStatus,
  type PaymentList,
  type PaymentRecord,
  type StartCheckoutBody,
} from './contract.ts';

export type HostApiErrorCode = 'UNREACHABLE' | 'UNAUTHORIZED' | 'BAD_ANSWER' | (string & {});

export class HostApiError extends Error {
  constructor(
    readonly code: HostApiErrorCode,
    message: string,
    readonly status: number | null,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'HostApiError';
  }
}

export interface HostApiOptions {
  /** The host's origin, e.g. "http://127.0.0.1:7420" (the page's own origin in production). */
  origin: string;
  token: string;
  fetch?: typeof fetch;
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  const error = (body as ApiErrorBody | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

export class HostApi {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HostApiOptions) {
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** `GET /api/status`. */
  status(): Promise<HostStatus> {
    return this.call<HostStatus>('GET', '/status');
  }

  /** `POST /api/checkout`: starts a payment of `amount` (text, "12.50"); the host waits for a code. */
  startCheckout(amount: string): Promise<CheckoutState> {
    return this.call<CheckoutState>('POST', '/checkout', { amount } satisfies StartCheckoutBody);
  }

  /** `GET /api/checkout`: the checkout in progress or the last one; null before any. */
  currentCheckout(): Promise<CheckoutState | null> {
    return this.call<CheckoutState | null>('GET', '/checkout');
  }

  /** `POST /api/checkout/code`: the payment code typed by the cashier. */
  enterCode(code: string): Promise<CheckoutState> {
    return this.call<CheckoutState>('POST', '/checkout/code', { code } satisfies EnterCodeBody);
  }

  /** `DELETE /api/checkout`: cancels the payment waiting for a code. */
  cancelCheckout(): Promise<CheckoutState | null> {
    return this.call<CheckoutState | null>('DELETE', '/checkout');
  }

  /** `GET /api/payments`: the latest `limit` payments, newest first. */
  async payments(limit: number): Promise<PaymentRecord[]> {
    return (await this.call<PaymentList>('GET', `/payments?limit=${limit}`)).payments;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.options.origin}${API_PREFIX}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new HostApiError('UNREACHABLE', (err as Error).message, null);
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new HostApiError('BAD_ANSWER', `${method} ${path}: the answer is not JSON`, response.status);
      }
    }
    if (!response.ok) {
      if (isApiErrorBody(parsed)) {
        const { code, message, detail } = parsed.error;
        throw new HostApiError(code, message, response.status, detail);
      }
      throw new HostApiError(
        response.status === 401 ? 'UNAUTHORIZED' : `HTTP_${response.status}`,
        `${method} ${path}: HTTP ${response.status}`,
        response.status,
      );
    }
    return parsed as T;
  }
}
