/**
 * The kiosk's calls to the terminal host over HTTP. Every call carries the per-boot token as
 * `Authorization: Bearer`, and a technician call its session in {@link TECHNICIAN_HEADER}. A refused
 * call throws {@link HostApiError} with the host's code and its message for the cashier; a call that
 * never got an answer throws it with code `UNREACHABLE`.
 */
import {
  type ActivateBody,
  type Activated,
  API_PREFIX,
  type ApiErrorBody,
  type CheckoutState,
  type EnterCodeBody,
  type HostStatus,
  type KioskScanAnswer,
  type KioskScanBody,
  type PaymentChanged,
  type PaymentList,
  type PaymentRecord,
  type PinBody,
  type PrintOutcome,
  type ScanSummary,
  type ShiftClosed,
  type StartCheckoutBody,
  TECHNICIAN_HEADER,
  type TechnicianOverview,
  type TechnicianSession,
} from './contract.ts';

export type HostApiErrorCode = 'UNREACHABLE' | 'UNAUTHORIZED' | 'BAD_ANSWER' | (string & {});

/** What a refusal may carry besides its code and message (a PIN's tries left, its lock). */
export type HostApiErrorFacts = Omit<ApiErrorBody['error'], 'code' | 'message'>;

export class HostApiError extends Error {
  constructor(
    readonly code: HostApiErrorCode,
    message: string,
    readonly status: number | null,
    readonly facts: HostApiErrorFacts = {},
  ) {
    super(message);
    this.name = 'HostApiError';
  }
}

/** A supervisor's action on a payment: `POST /api/payments/:id/void` or `/refund`. */
export type SupervisorAction = 'void' | 'refund';

type Body = { json: unknown } | { none: true };

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

  /**
   * `POST /api/checkout/qr` (no body): the checkout waiting for a code shows the merchant's QR
   * instead; the answer is `working` while the core makes the order, or already `showing_qr`.
   * Refused with NO_CHECKOUT, NO_CORE, or CORE_UNREACHABLE (the checkout keeps waiting for a code).
   */
  showQr(): Promise<CheckoutState> {
    return this.call<CheckoutState>('POST', '/checkout/qr');
  }

  /**
   * `POST /api/scan`: what a keyboard-wedge scanner typed, told from typing by the kiosk. The host
   * routes it like any scanner's scan (a payment code while a checkout waits pays it); the answer
   * is the scan as routed, masked.
   */
  async scan(data: string): Promise<ScanSummary> {
    return (await this.call<KioskScanAnswer>('POST', '/scan', { data } satisfies KioskScanBody)).scan;
  }

  /** `DELETE /api/checkout`: cancels the payment waiting for a code. */
  cancelCheckout(): Promise<CheckoutState | null> {
    return this.call<CheckoutState | null>('DELETE', '/checkout');
  }

  /** `GET /api/payments`: the latest `limit` payments, newest first. */
  async payments(limit: number): Promise<PaymentRecord[]> {
    return (await this.call<PaymentList>('GET', `/payments?limit=${limit}`)).payments;
  }

  /**
   * `GET /api/payments/:id/receipt.png`: the receipt drawn as the printer would print it. An `<img>`
   * can't send the token, so the picture is fetched here and shown through a blob: URL.
   */
  async receiptImage(paymentId: string): Promise<Blob> {
    const response = await this.send('GET', `/payments/${encodeURIComponent(paymentId)}/receipt.png`);
    if (!response.ok) await this.refusal('GET', 'receipt.png', response);
    return response.blob();
  }

  /** `POST /api/payments/:id/reprint`: prints the receipt again, marked as a reprint. */
  reprint(paymentId: string): Promise<PrintOutcome> {
    return this.call<PrintOutcome>('POST', `/payments/${encodeURIComponent(paymentId)}/reprint`);
  }

  /** `POST /api/payments/:id/void` or `/refund` with the supervisor's PIN: the payment's new state. */
  async changePayment(paymentId: string, action: SupervisorAction, pin: string): Promise<PaymentRecord> {
    const path = `/payments/${encodeURIComponent(paymentId)}/${action}`;
    return (await this.call<PaymentChanged>('POST', path, { pin } satisfies PinBody)).payment;
  }

  /** `POST /api/shift/close`: the shift's report, and whether it printed. */
  closeShift(): Promise<ShiftClosed> {
    return this.call<ShiftClosed>('POST', '/shift/close');
  }

  /** `POST /api/technician/session` with the technician's PIN. */
  openTechnicianSession(pin: string): Promise<TechnicianSession> {
    return this.call<TechnicianSession>('POST', '/technician/session', { pin } satisfies PinBody);
  }

  /** The technician's calls, each with the session in {@link TECHNICIAN_HEADER}. */
  technician(sessionId: string): TechnicianApi {
    const headers = { [TECHNICIAN_HEADER]: sessionId };
    const call = <T>(method: string, path: string, body?: unknown) =>
      this.call<T>(method, `/technician${path}`, body, headers);
    return {
      overview: () => call<TechnicianOverview>('GET', '/overview'),
      printTest: () => call<PrintOutcome>('POST', '/printer/test'),
      openDrawer: () => call<PrintOutcome>('POST', '/drawer/open'),
      syncNow: async () => {
        await call<unknown>('POST', '/sync');
      },
      activate: (body: ActivateBody) => call<Activated>('POST', '/activate', body),
      close: async () => {
        await call<unknown>('DELETE', '/session');
      },
    };
  }

  private async send(
    method: string,
    path: string,
    body: Body = { none: true },
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      ...extraHeaders,
      authorization: `Bearer ${this.options.token}`,
    };
    if ('json' in body) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(`${this.options.origin}${API_PREFIX}${path}`, {
        method,
        headers,
        body: 'json' in body ? JSON.stringify(body.json) : null,
        cache: 'no-store',
      });
    } catch (err) {
      throw new HostApiError('UNREACHABLE', (err as Error).message, null);
    }
  }

  /** Throws the refusal `response` carries: the host's code and message, else its HTTP status. */
  private async refusal(method: string, path: string, response: Response): Promise<never> {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(await response.text());
    } catch {
      // Not an ApiError body: the status says what there is to say.
    }
    if (isApiErrorBody(parsed)) {
      const { code, message, ...facts } = parsed.error;
      throw new HostApiError(code, message, response.status, facts);
    }
    throw new HostApiError(
      response.status === 401 ? 'UNAUTHORIZED' : `HTTP_${response.status}`,
      `${method} ${path}: HTTP ${response.status}`,
      response.status,
    );
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders?: Record<string, string>,
  ): Promise<T> {
    const response = await this.send(
      method,
      path,
      body === undefined ? { none: true } : { json: body },
      extraHeaders,
    );
    if (!response.ok) await this.refusal(method, path, response);
    const text = await response.text();
    if (text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HostApiError('BAD_ANSWER', `${method} ${path}: the answer is not JSON`, response.status);
    }
  }
}

/** The technician's calls, bound to one session; see {@link HostApi.technician}. */
export interface TechnicianApi {
  /** `GET /api/technician/overview`. */
  overview(): Promise<TechnicianOverview>;
  /** `POST /api/technician/printer/test`: prints a test page. */
  printTest(): Promise<PrintOutcome>;
  /** `POST /api/technician/drawer/open`: kicks the cash drawer (through the printer). */
  openDrawer(): Promise<PrintOutcome>;
  /** `POST /api/technician/sync`: starts a sync; its progress comes as `sync` events. */
  syncNow(): Promise<void>;
  /** `POST /api/technician/activate`. */
  activate(body: ActivateBody): Promise<Activated>;
  /** `DELETE /api/technician/session`. */
  close(): Promise<void>;
}
