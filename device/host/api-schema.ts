/**
 * The local API between the kiosk renderer (ui-kiosk/web) and the terminal host: one zod schema per
 * message, the validation on the host and (through `import type` only) the renderer's types. Every
 * route but `GET /healthz` needs the per-boot token: `Authorization: Bearer <token>` on HTTP, and
 * on the WebSocket the subprotocols `['suanpan.v1', 'token.<token>']` (a browser cannot set headers
 * on a WebSocket). Requests whose `Origin` is not the host's own are refused with 403.
 *
 * Routes (device/host/server.ts): `GET /healthz` → Healthz · `GET /api/status` → HostStatus ·
 * `POST /api/checkout` StartCheckout → 202 CheckoutState · `GET /api/checkout` → CheckoutState or 204 ·
 * `POST /api/checkout/code` EnterCode → 202 CheckoutState (409 when none waits) ·
 * `POST /api/checkout/qr` (no body) → 202 CheckoutState: the checkout waiting for a code shows the
 * merchant's QR instead (phase `working` while the core makes the order, then `showing_qr`; 409
 * NO_CHECKOUT when none waits, NO_CORE without a core, 503 CORE_UNREACHABLE when the core is known
 * to be down: a QR payment needs the network, the checkout keeps waiting for a code) ·
 * `DELETE /api/checkout` → CheckoutState (cancelled; while `showing_qr`: `working` while the order
 * is cancelled at the core, then `cancelled` with the declined payment, or `done` if it was paid) · `POST /api/scan` KioskScan → `{scan}` (masked) ·
 * `GET /api/payments?limit=N` → PaymentList · WebSocket `/api/events` → HostEvent messages.
 * A refusal is an ApiError with its HTTP status (400 names the `field`).
 *
 * Money on the wire is `{minor, currency}`; amounts typed by a cashier travel as text ("12.50") and
 * are parsed strictly by the host (sync/protocol/money.ts), so the renderer never does money maths.
 */
import { z } from 'zod';
import type { ScannerStatus } from '../../drivers/scanner/scanner.ts';
import type { PaymentRecord, ShiftReport } from '../../sync/journal/journal.ts';
import type { Money } from '../../sync/protocol/money.ts';
import type { ScanEvent } from '../scanning/scan-event.ts';

export const API_PREFIX = '/api';
export const WS_PATH = '/api/events';
export const WS_PROTOCOL = 'suanpan.v1';
export const WS_TOKEN_PREFIX = 'token.';

/** An error answer: a code for programs, a message for the cashier in the terminal's language. */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    detail: z.string().optional(),
    /** For a 400: the field that was wrong (`amount`, `code`, `limit`), so a screen can point at it. */
    field: z.string().optional(),
    /** For a 403 WRONG_PIN: wrong PINs still allowed before the PIN locks. */
    attemptsLeft: z.number().int().min(0).optional(),
    /** For a 423 PIN_LOCKED: seconds until the PIN may be tried again (also the Retry-After header). */
    retryAfterS: z.number().int().min(0).optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

export const AmountText = z.string().max(20);

/** `POST /api/checkout`: start a payment; the host waits for the customer's payment code. */
export const StartCheckout = z.object({ amount: AmountText }).strict();
/** `POST /api/checkout/code`: the code typed by the cashier (or read by the kiosk's wedge detector). */
export const EnterCode = z.object({ code: z.string().min(1).max(64) }).strict();
/** `POST /api/scan`: a keyboard-wedge scan the kiosk told from typing; routed like any scanner's. */
export const KioskScan = z.object({ data: z.string().min(1).max(4096) }).strict();
/** `POST /api/payments/:id/void` and `/refund`, and technician actions: the PIN that allows them. */
export const WithPin = z.object({ pin: z.string().regex(/^[0-9]{4,8}$/) }).strict();
/** `POST /api/technician/activate` (with the technician session header). */
export const Activate = z.object({ core: z.url(), code: z.string().min(4).max(32) }).strict();
export type WithPin = z.infer<typeof WithPin>;
export type Activate = z.infer<typeof Activate>;

/**
 * Second slice: supervisor and technician actions.
 *
 * Supervisor (PIN in the body, `settings.kiosk.supervisorPin`; null in the settings = refused with
 * 403 PIN_NOT_SET): `POST /api/payments/:id/void` WithPin → `{payment}` · `POST
 * /api/payments/:id/refund` WithPin → `{payment}`. A wrong PIN → 403 WRONG_PIN with `attemptsLeft`;
 * after 5 wrong PINs in a row the PIN is locked for 60 s → 423 PIN_LOCKED with `retryAfterS`. A state
 * the payment cannot leave that way → 409 ILLEGAL_TRANSITION with a sentence for the cashier.
 *
 * Cashier: `GET /api/payments/:id/receipt.png` → the receipt drawn as a PNG (the preview) ·
 * `POST /api/payments/:id/reprint` → PrintOutcome (the receipt marked as a reprint) ·
 * `POST /api/shift/close` → `{report: ShiftReport, print: PrintOutcome}`.
 *
 * Technician: `POST /api/technician/session` WithPin (`settings.kiosk.technicianPin`) →
 * TechnicianSession; every `/api/technician/*` route below needs its `sessionId` in the header
 * `x-suanpan-technician` (401 TECHNICIAN_SESSION when missing or expired; sessions last 15 min from
 * their last use) · `GET /api/technician/overview` → TechnicianOverview · `POST
 * /api/technician/printer/test` → PrintOutcome · `POST /api/technician/drawer/open` → PrintOutcome
 * · `POST /api/technician/sync` → 202, then `sync` events until `done` · `POST
 * /api/technician/activate` Activate → `{activated: true, merchantName}` · `DELETE
 * /api/technician/session` → 204. While a technician session is open, `scan` events of kind
 * `activation` carry the code unmasked, so scanning an activation card fills the activation form.
 *
 * As the host implements it (device/host): the fifth wrong PIN in a row is itself answered 423
 * (attempts 1–4 get 403 with `attemptsLeft` 4…1); while locked every try is 423, the right PIN too,
 * and is not counted; a right PIN resets the count. Supervisor and technician PINs count apart.
 * Errors of these routes, beside the ones named above: 404 UNKNOWN_PAYMENT; 409 PAYMENT_BUSY (a void
 * or refund of that payment is under way), NO_CORE, CORE_REFUSED, BUSY (a
 * checkout is in progress: no activation now), NOT_ACTIVATED (sync), ACTIVATION_REFUSED; 503
 * CORE_UNREACHABLE (nothing reached the core, nothing recorded); 504 CORE_NO_ANSWER (the core may
 * have acted: nothing recorded, try again: a void or refund is safe to repeat); 503 PREVIEW_UNAVAILABLE.
 * `POST /api/technician/sync` answers 202 `{syncing: true}`; without a core, 409 NOT_ACTIVATED.
 * Activation restarts the terminal services in place (device/host/host.ts): a `status` event follows.
 */
export const TECHNICIAN_HEADER = 'x-suanpan-technician';
/** Wrong PINs in a row before the PIN locks, and for how long. */
export const PIN_ATTEMPTS = 5;
export const PIN_LOCK_S = 60;

export interface PrintOutcome {
  printed: boolean;
  /** Why not, in words for the cashier (the job waits in the print queue). */
  problem?: string;
}

/** `POST /api/payments/:id/void` and `/refund`: the payment as it now stands. */
export interface PaymentChanged {
  payment: PaymentRecord;
}

/** `POST /api/shift/close`. */
export interface ShiftClosed {
  report: ShiftReport;
  print: PrintOutcome;
}

/** `POST /api/technician/activate`. */
export interface Activated {
  activated: true;
  merchantName: string;
}

export interface TechnicianSession {
  sessionId: string;
  expiresAt: string;
}

export interface TechnicianOverview {
  version: string;
  terminalId: string;
  activation: { activated: boolean; coreUrl: string | null; merchantName: string | null };
  /** The offline policy in force, with where each value came from (settings, file, variable). */
  policy: OfflineQueue['limits'] & { sources: Record<string, string> };
  sync: {
    state: 'idle' | 'syncing' | 'waiting' | 'stopped' | 'not_activated';
    reachable: boolean | null;
    pending: number;
    parked: { seq: number; reason: string }[];
    lastSyncAt: string | null;
    lastError: { code: string; message: string; at: string } | null;
  };
  devices: HostStatus['devices'];
  /** The latest log lines, newest last, as the log file holds them (codes and keys redacted). */
  logs: { time: string; level: string; module?: string; msg: string }[];
}

/** Most payments `GET /api/payments` lists at once: a long day at a busy counter. */
export const MAX_PAYMENTS_LISTED = 500;
/** `GET /api/payments?limit=N`: the latest payments first (default 50). */
export const PaymentsQuery = z
  .object({
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/, { message: `must be a whole number from 1 to ${MAX_PAYMENTS_LISTED}` })
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_PAYMENTS_LISTED))
      .optional(),
  })
  .strict();

/** `GET /healthz` (no token): the host is up and serving this terminal. */
export interface Healthz {
  ok: true;
  version: string;
  terminalId: string;
}

/** `GET /api/payments`. */
export interface PaymentList {
  payments: PaymentRecord[];
}

export type CheckoutPhase =
  /** Waiting for the customer's payment code (scanner or manual entry). */
  | 'waiting_code'
  /**
   * The merchant's QR is shown (`qr`) for the customer's wallet to scan; the host asks the core
   * until the customer has paid, the cashier cancels, or the order expires (`qr.expiresAt`).
   */
  | 'showing_qr'
  /** The code is in; the payment is being authorised (online) or stored (offline). */
  | 'working'
  /** Finished: see `payment.status` (approved, accepted_offline, declined, unknown). */
  | 'done'
  /** Could not be taken (code used before, journal refused): see `error`. */
  | 'failed'
  | 'cancelled';

export interface CheckoutState {
  checkoutId: string;
  amount: Money;
  phase: CheckoutPhase;
  payment?: PaymentRecord;
  /**
   * From `showing_qr` on, for a checkout paid by the merchant's QR: the text to draw as a QR code
   * (the core's order, e.g. `suanpan://order/<paymentId>`) and when the core stops taking it.
   */
  qr?: { text: string; expiresAt: string };
  /** For `failed`: what went wrong, in words for the cashier. */
  error?: { code: string; message: string };
  /**
   * For `done` with a printer: whether the receipt printed, or why not. `done` is sent as soon as the
   * payment is committed, without it; a second `checkout` event (same checkoutId, still `done`)
   * carries it once the printer has had its go. Absent when no receipt is printed.
   */
  receipt?: { printed: boolean; problem?: string };
}

export interface OfflineQueue {
  pending: number;
  totals: Record<string, number>;
  oldestCapturedAt: string | null;
  limits: { perPayment: Money; totalStored: Money; maxStoredCount: number; maxHoursSinceSync: number };
  remaining: {
    nextPaymentMax: Money;
    totalStored: Money;
    storedCount: number;
    syncDueBy: string;
    hoursLeft: number;
    /** The clock reads earlier than the last sync: no offline payment until it is set right. */
    clockBehind: boolean;
    /** The core refuses this terminal's payments for good (its error code): no offline payment. */
    forwardingBlocked: string | null;
  };
}

/** `GET /api/status`. */
export interface HostStatus {
  terminal: {
    terminalId: string;
    version: string;
    locale: 'zh-CN' | 'en';
    merchantName: string | null;
    currency: string;
  };
  activation: { activated: boolean; coreUrl: string | null };
  online: {
    /** A core is configured and the terminal is activated at it. */
    configured: boolean;
    /** Whether the core answered the last attempt; null before any. */
    reachable: boolean | null;
    syncing: boolean;
    lastSyncAt: string | null;
    lastError: { code: string; message: string; at: string } | null;
  };
  queue: OfflineQueue;
  devices: {
    printer: { uri: string | null; state: 'ready' | 'problem' | 'none'; problem?: string; waiting: number };
    scanners: ScannerStatus[];
  };
}

/** Messages on the WebSocket, host to renderer. */
export type HostEvent =
  | { type: 'hello'; status: HostStatus }
  | { type: 'status'; status: HostStatus }
  /** Masked (`maskedScanEvent`): the renderer never sees a raw payment code. */
  | { type: 'scan'; scan: ScanEvent }
  | { type: 'checkout'; checkout: CheckoutState }
  | { type: 'payment'; payment: PaymentRecord }
  | { type: 'sync'; progress: { sent: number; total: number; done: boolean; error?: string } };
