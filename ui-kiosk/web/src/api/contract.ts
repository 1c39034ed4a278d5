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

export type CheckoutPhase = 'waiting_code' | 'working' | 'done' | 'failed' | 'cancelled';

export interface CheckoutState {
  checkoutId: string;
  amount: Money;
  phase: CheckoutPhase;
  payment?: PaymentRecord;
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
  };
}

/** What the renderer reads of a scan: its kind (the code itself is masked by the host anyway). */
export interface ScanSummary {
  kind: string;
}

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
  error: { code: string; message: string; detail?: string; field?: string };
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

/** Body of `POST /api/checkout/code`. */
export interface EnterCodeBody {
  code: string;
}

export const API_PREFIX = '/api';
export const WS_PATH = '/api/events';
export const WS_PROTOCOL = 'suanpan.v1';
export const WS_TOKEN_PREFIX = 'token.';
