/**
 * The renderer's view of the local API (device/host/api-schema.ts): the fields the kiosk reads and
 * the bodies it sends, nothing more.
 *
 * Why a view and not `import type` from api-schema.ts: that module's types reach into
 * sync/journal/journal.ts (PaymentRecord) and drivers/scanner/scanner.ts (ScannerStatus), whose
 * imports bring better-sqlite3, serialport and with them @types/node into any program that checks
 * them. The renderer's program would then accept `import fs from 'node:fs'`, and its boundary
 * (browser types only; nothing outside src/ compiles in, see ../../tsconfig.json) would be gone.
 * So the view is declared here, and ../../e2e/contract-check.ts, compiled with Node types by
 * e2e/boundary.test.ts, proves that every host type is assignable to it (the host sends all the
 * renderer reads, with the same types), that the state unions are equal (the renderer names every
 * state the host can send, and no other), and that the bodies sent satisfy the host's schemas.
 */

/** Minor units (fen for CNY) and an ISO 4217 code. Never a float. */
export interface Money {
  minor: number;
  currency: string;
}

export type PaymentStatus =
  | 'captured'
  | 'approved'
  | 'accepted_offline'
  | 'declined'
  | 'unknown'
  | 'settled'
  | 'declined_after_sync'
  | 'voided'
  | 'refunded';

export type PaymentMode = 'online' | 'offline';

export interface PaymentRecord {
  paymentId: string;
  seq: number;
  amount: Money;
  scheme: string;
  /** First two and last four digits only. */
  codeMasked: string;
  mode: PaymentMode | null;
  status: PaymentStatus;
  /** Why declined or in doubt, as recorded by the terminal (English). */
  reason: string | null;
  capturedAt: string;
  updatedAt: string;
}

/**
 * A checkout's steps: `waiting_code` → `working` (the code's payment taken) → an end; or, when the
 * cashier shows the merchant's QR (`POST /api/checkout/qr`), `waiting_code` → `working` (the core
 * makes the order) → `showing_qr` → an end, through `working` again while a cancel is done at the core.
 */
export type CheckoutPhase = 'waiting_code' | 'showing_qr' | 'working' | 'done' | 'failed' | 'cancelled';

/** The merchant's QR for the customer's wallet: the core's order, drawn as a QR code. */
export interface CheckoutQr {
  /** The text to draw, e.g. `suanpan://order/<paymentId>`. */
  text: string;
  /** When the core stops taking the order, by the core's clock (about two minutes after). */
  expiresAt: string;
}

export interface CheckoutState {
  checkoutId: string;
  amount: Money;
  phase: CheckoutPhase;
  payment?: PaymentRecord;
  /** From `showing_qr` on, for a checkout paid by the merchant's QR. */
  qr?: CheckoutQr;
  error?: { code: string; message: string };
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

export type Locale = 'zh-CN' | 'en';

export interface HostStatus {
  terminal: {
    terminalId: string;
    version: string;
    locale: Locale;
    merchantName: string | null;
    currency: string;
  };
  activation: { activated: boolean; coreUrl: string | null };
  online: {
    configured: boolean;
    reachable: boolean | null;
    syncing: boolean;
    lastSyncAt: string | null;
    lastError: { code: string; message: string; at: string } | null;
  };
  queue: OfflineQueue;
  devices: {
    printer: { uri: string | null; state: 'ready' | 'problem' | 'none'; problem?: string; waiting: number };
    scanners: ScannerSummary[];
  };
}

export type ScannerState = 'connecting' | 'ready' | 'reconnecting' | 'unavailable' | 'stopped';

/** One scanner as the technician screens show it. */
export interface ScannerSummary {
  uri: string;
  state: ScannerState;
  /** Why it is not ready, in words for a technician. */
  reason?: string;
  /** The Debian package that would make an unavailable driver work. */
  package?: string;
  since: string;
  scans: number;
  suppressed: number;
  disconnects: number;
}

export type ScanKind = 'payment_code' | 'wifi' | 'activation' | 'product' | 'unknown';

interface ScanCommon {
  /** The text scanned, masked by the host where it could be a secret (payment codes, passwords). */
  data: string;
  /** The scanner it came from (`hid:…`, `serial:…`, `kiosk:wedge`). */
  source: string;
  at: string;
}

/**
 * What the renderer reads of a scan. An activation card's code is unmasked only while a technician
 * session is open (the activation form is filled from it); a masked one has `*` in it.
 */
export type ScanSummary =
  | (ScanCommon & { kind: 'activation'; activation: { coreUrl: string; code: string } })
  | (ScanCommon & { kind: Exclude<ScanKind, 'activation'>; reason?: string });

export interface SyncProgress {
  sent: number;
  total: number;
  done: boolean;
  error?: string;
}

/** Messages on the WebSocket, host to renderer. */
export type HostEvent =
  | { type: 'hello'; status: HostStatus }
  | { type: 'status'; status: HostStatus }
  | { type: 'scan'; scan: ScanSummary }
  | { type: 'checkout'; checkout: CheckoutState }
  | { type: 'payment'; payment: PaymentRecord }
  | { type: 'sync'; progress: SyncProgress };

/** An error answer: a code for programs, a message for people. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    detail?: string;
    field?: string;
    /** WRONG_PIN: tries left before the PIN locks. */
    attemptsLeft?: number;
    /** PIN_LOCKED: seconds until the PIN may be tried again. */
    retryAfterS?: number;
  };
}

/** `GET /api/payments`. */
export interface PaymentList {
  payments: PaymentRecord[];
}

/** Most payments `GET /api/payments` lists at once. */
export const MAX_PAYMENTS_LISTED = 500;

/** Body of `POST /api/checkout`. */
export interface StartCheckoutBody {
  amount: string;
}

/**
 * How long the core takes a QR order (sync/protocol/wire.ts ORDER_VALID_S): the kiosk's countdown
 * never shows more than this, whatever the core's clock says against the kiosk's.
 */
export const QR_ORDER_VALID_S = 120;

/** The scheme a payment made by the merchant's QR is recorded under (wire.ts ORDER_SCHEME). */
export const QR_SCHEME = 'merchant_qr';

/** Body of `POST /api/checkout/code`. */
export interface EnterCodeBody {
  code: string;
}

/** Body of `POST /api/scan`: a keyboard-wedge scan the kiosk told from typing. */
export interface KioskScanBody {
  data: string;
}

/** Answer of `POST /api/scan`: the scan as the host routed it (masked). */
export interface KioskScanAnswer {
  scan: ScanSummary;
}

/** Body of `POST /api/payments/:id/void` and `/refund`, and of `POST /api/technician/session`. */
export interface PinBody {
  pin: string;
}

/** A PIN is 4 to 8 digits (the host's WithPin). */
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 8;
/** Wrong PINs in a row before the PIN locks, and for how many seconds. */
export const PIN_ATTEMPTS = 5;
export const PIN_LOCK_S = 60;

/** Answer of a void or a refund: the payment in its new state. */
export interface PaymentChanged {
  payment: PaymentRecord;
}

/** A print job's fate: printed, or why not (the job then waits in the print queue). */
export interface PrintOutcome {
  printed: boolean;
  problem?: string;
}

/** Payments counted and their totals (minor units per currency), under one status or scheme. */
export interface ShiftGroup {
  count: number;
  totals: Record<string, number>;
}

/** The report of a closed shift: the payments captured since the previous close. */
export interface ShiftReport {
  shiftNo: number;
  openedAt: string | null;
  closedAt: string;
  payments: number;
  byStatus: Record<string, ShiftGroup>;
  byScheme: Record<string, ShiftGroup>;
  /** Payments of earlier shifts whose state changed in this one, by the state they moved to. */
  earlier: Record<string, ShiftGroup>;
}

/** Answer of `POST /api/shift/close`. */
export interface ShiftClosed {
  report: ShiftReport;
  print: PrintOutcome;
}

/** Sent in this header on every `/api/technician/*` call but the one that opens the session. */
export const TECHNICIAN_HEADER = 'x-suanpan-technician';

/** Answer of `POST /api/technician/session`: kept in memory only, never stored. */
export interface TechnicianSession {
  sessionId: string;
  expiresAt: string;
}

export type SyncState = 'idle' | 'syncing' | 'waiting' | 'stopped' | 'not_activated';

/** `GET /api/technician/overview`. */
export interface TechnicianOverview {
  version: string;
  terminalId: string;
  activation: { activated: boolean; coreUrl: string | null; merchantName: string | null };
  /** The offline policy in force, and where each value came from. */
  policy: OfflineQueue['limits'] & { sources: Record<string, string> };
  sync: {
    state: SyncState;
    reachable: boolean | null;
    pending: number;
    parked: { seq: number; reason: string }[];
    lastSyncAt: string | null;
    lastError: { code: string; message: string; at: string } | null;
  };
  devices: HostStatus['devices'];
  /** The latest log lines, newest last. */
  logs: { time: string; level: string; module?: string; msg: string }[];
}

/** Body of `POST /api/technician/activate`. */
export interface ActivateBody {
  core: string;
  code: string;
}

/** Answer of `POST /api/technician/activate`. */
export interface Activated {
  activated: true;
  merchantName: string | null;
}

export const API_PREFIX = '/api';
export const WS_PATH = '/api/events';
export const WS_PROTOCOL = 'suanpan.v1';
export const WS_TOKEN_PREFIX = 'token.';
