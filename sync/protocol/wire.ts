/**
 * The wire protocol between terminal and core, version 1: one zod schema per message, shared by both
 * sides. Objects are strict, so an unknown field is refused like a wrong type; the core answers 400
 * naming the field (see {@link describeIssue}). Times are ISO 8601 strings in UTC.
 */
import { z } from 'zod';
import { CurrencyCode, PaymentAmount } from './money.ts';

export const API_VERSION = 'v1';

export const PATHS = {
  healthz: '/healthz',
  activate: '/v1/activate',
  authorise: '/v1/payments/authorise',
  payment: (paymentId: string) => `/v1/payments/${paymentId}`,
  cancel: (paymentId: string) => `/v1/payments/${paymentId}/cancel`,
  refund: (paymentId: string) => `/v1/payments/${paymentId}/refund`,
  orders: '/v1/orders',
  syncState: '/v1/sync/state',
  upload: '/v1/sync/upload',
  results: '/v1/sync/results',
} as const;

/**
 * The patterns of the wire's strings, shared by the schemas below and by fast-path.ts, which
 * accepts the biggest messages without zod's per-field machinery and must agree with it.
 */
export const PATTERNS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  hex32: /^[0-9a-f]{64}$/,
  terminalId: /^sp-[0-9a-f]{16}$/,
  paymentCode: /^[0-9]{10,32}$/,
  scheme: /^[a-z][a-z0-9_]{0,31}$/,
  /** An Ed25519 signature, base64. */
  signature: /^[A-Za-z0-9+/]{86}==$/,
} as const;
export const REASON_MAX = 500;
export const SOFTWARE_VERSION_MAX = 40;

const Uuid = z.string().regex(PATTERNS.uuid, 'must be a UUID');
const IsoTime = z.iso.datetime({
  offset: false,
  precision: 3,
  message: 'must be an ISO time in UTC, e.g. 2026-11-25T09:30:00.000Z',
});
/** The pattern zod checks an ISO time against (zod builds it; fast-path.ts reuses it). */
export const ISO_TIME_PATTERN: RegExp = IsoTime._zod.def.pattern as RegExp;
const Hex32 = z.string().regex(PATTERNS.hex32, 'must be 64 hex digits');
export const TerminalId = z
  .string()
  .regex(PATTERNS.terminalId, 'must be a terminal id, sp- and 16 hex digits');
export const PaymentCodeText = z.string().regex(PATTERNS.paymentCode, 'must be a payment code of digits');
const Seq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Scheme = z.string().regex(PATTERNS.scheme);
const Reason = z.string().max(REASON_MAX);

/** The facts that identify a payment; the same paymentId with other facts is a conflict. */
export const PaymentFacts = z
  .object({
    paymentId: Uuid,
    seq: Seq,
    amount: PaymentAmount,
    scheme: Scheme,
    /** The terminal's keyed hash of the payment code (hex): compared, never reversed. */
    codeHash: Hex32,
    /** When the terminal captured it, by the terminal's own clock. */
    capturedAt: IsoTime,
  })
  .strict();
export type PaymentFacts = z.infer<typeof PaymentFacts>;

// --- activation -----------------------------------------------------------------------------

export const ActivateRequest = z
  .object({
    code: z
      .string()
      .regex(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){2}$/, 'must be an activation code like K7QM-2XWP-9HRT'),
    terminalId: TerminalId,
    /** SPKI DER, base64: the key this request is signed with. */
    publicKey: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/)
      .max(200),
    softwareVersion: z.string().max(40),
  })
  .strict();
export type ActivateRequest = z.infer<typeof ActivateRequest>;

export const ActivateResponse = z
  .object({ terminalId: TerminalId, merchantId: Uuid, merchantName: z.string() })
  .strict();
export type ActivateResponse = z.infer<typeof ActivateResponse>;

// --- online payments ------------------------------------------------------------------------

export const AuthoriseRequest = PaymentFacts.extend({ code: PaymentCodeText }).strict();
export type AuthoriseRequest = z.infer<typeof AuthoriseRequest>;

export const AuthoriseResponse = z
  .object({
    paymentId: Uuid,
    outcome: z.enum(['approved', 'declined']),
    reason: Reason.optional(),
    /** True when the core had this payment already (a retry): the outcome is the one it gave then. */
    duplicate: z.boolean(),
  })
  .strict();
export type AuthoriseResponse = z.infer<typeof AuthoriseResponse>;

export const CORE_PAYMENT_STATES = [
  'approved',
  'declined',
  'settled',
  'declined_after_sync',
  'cancelled',
] as const;
export type CorePaymentState = (typeof CORE_PAYMENT_STATES)[number];

/**
 * Everything the core may hold a payment as: its own outcomes above, an order waiting for the
 * customer's wallet (`pending`), and a payment voided or refunded after approval (refunded through
 * the core, or recorded so by the terminal). A query and the results of a sync answer any of these.
 */
export const HELD_PAYMENT_STATES = [...CORE_PAYMENT_STATES, 'pending', 'voided', 'refunded'] as const;
export type HeldPaymentState = (typeof HELD_PAYMENT_STATES)[number];

export const QueryResponse = z
  .object({
    paymentId: Uuid,
    state: z.enum([...HELD_PAYMENT_STATES, 'not_found']),
    reason: Reason.optional(),
  })
  .strict();
export type QueryResponse = z.infer<typeof QueryResponse>;

/** Cancel after a timeout: the core refuses the payment for good, reversing it if it went through. */
export const CancelRequest = PaymentFacts.omit({ paymentId: true }).strict();
export type CancelRequest = z.infer<typeof CancelRequest>;

export const CancelResponse = z
  .object({
    paymentId: Uuid,
    outcome: z.enum(['cancelled', 'too_late']),
    /** What the payment is at the core afterwards: never `pending` (a pending order is cancelled). */
    state: z.enum([...CORE_PAYMENT_STATES, 'voided', 'refunded']),
    reason: Reason.optional(),
  })
  .strict();
export type CancelResponse = z.infer<typeof CancelResponse>;

// --- merchant-presented QR orders -----------------------------------------------------------

/**
 * An order the merchant shows as a QR for the customer's wallet to scan and pay (Alipay's
 * "precreate"): a payment's facts without a code. The terminal then queries it and cancels it
 * when it expires.
 */
export const OrderRequest = PaymentFacts;
export type OrderRequest = z.infer<typeof OrderRequest>;

/** The text of an order's QR: this prefix and the paymentId. */
export const ORDER_QR_PREFIX = 'suanpan://order/';

/**
 * How long a wallet may pay a merchant-presented QR order: the cashier waits for the customer at
 * most two minutes, then the terminal cancels the order and asks for another way to pay.
 */
export const ORDER_VALID_S = 120;

/** The scheme a terminal records a QR order's payment under (it has no customer payment code). */
export const ORDER_SCHEME = 'merchant_qr';

export const OrderResponse = z
  .object({
    paymentId: Uuid,
    qr: z.string().startsWith(ORDER_QR_PREFIX),
    /** By the core's clock: a wallet can't pay the order after this. */
    expiresAt: IsoTime,
    /** True when the core had this order already (a retry): the answer is the one it gave then. */
    duplicate: z.boolean(),
  })
  .strict();
export type OrderResponse = z.infer<typeof OrderResponse>;

// --- refunds --------------------------------------------------------------------------------

/** A whole payment refunded to the customer's wallet; partial refunds are the operator's. */
export const RefundRequest = z.object({ amount: PaymentAmount, reason: Reason.optional() }).strict();
export type RefundRequest = z.infer<typeof RefundRequest>;

export const RefundResponse = z
  .object({
    paymentId: Uuid,
    state: z.literal('refunded'),
    /** True when the payment was refunded already: nothing was refunded twice. */
    duplicate: z.boolean(),
  })
  .strict();
export type RefundResponse = z.infer<typeof RefundResponse>;

// --- store and forward ----------------------------------------------------------------------

/** The journal head: the last entry's number, hash and the terminal's signature over that hash. */
export const JournalHead = z
  .object({
    entrySeq: z.number().int().min(0),
    hash: Hex32,
    signature: z.string().regex(PATTERNS.signature).nullable(),
  })
  .strict();
export type JournalHead = z.infer<typeof JournalHead>;

export const SyncStateResponse = z
  .object({
    terminalId: TerminalId,
    /** Every seq from 1 to this one is held by the core. */
    highestContiguousSeq: z.number().int().min(0),
    /** The journal entry the core anchored last, which the terminal must still hold unchanged. */
    anchor: z
      .object({ entrySeq: z.number().int().min(1), hash: Hex32 })
      .strict()
      .nullable(),
    serverTime: IsoTime,
  })
  .strict();
export type SyncStateResponse = z.infer<typeof SyncStateResponse>;

/**
 * A stored payment sent to the core. `accepted_offline` ones carry the raw code and are processed
 * (settled or declined_after_sync); the others are records of payments the terminal decided, sent
 * so the core holds every seq.
 */
/** States of a payment the terminal decided itself, sent as a record. */
export const RECORDED_STATES = [
  'declined',
  'approved',
  'settled',
  'declined_after_sync',
  'voided',
  'refunded',
] as const;

/**
 * The largest clock offset a terminal may report: a century, so a clock reset to 1970 still fits.
 * (A bound at all keeps the core's arithmetic on times in safe integers.)
 */
export const CLOCK_OFFSET_MAX_MS = 100 * 366 * 24 * 3600 * 1000;

export const UploadedPayment = z.discriminatedUnion('state', [
  PaymentFacts.extend({
    state: z.literal('accepted_offline'),
    code: PaymentCodeText,
    /**
     * (core clock − terminal clock) when the payment was captured, as the terminal knew it then;
     * absent when it didn't know. The core judges the code by `capturedAt` + this, not + the
     * offset it measures now: a clock set right between capture and sync would shift every stored
     * payment by the correction.
     */
    clockOffsetMs: z.number().int().min(-CLOCK_OFFSET_MAX_MS).max(CLOCK_OFFSET_MAX_MS).optional(),
  }).strict(),
  PaymentFacts.extend({
    state: z.enum(RECORDED_STATES),
    mode: z.enum(['online', 'offline']),
    reason: Reason.optional(),
  }).strict(),
]);
export type UploadedPayment = z.infer<typeof UploadedPayment>;

export const UPLOAD_MAX_PAYMENTS = 2000;

export const UploadRequest = z
  .object({
    payments: z.array(UploadedPayment).max(UPLOAD_MAX_PAYMENTS),
    head: JournalHead,
    /** The terminal's hash of the entry the core anchored last (null: the terminal no longer has it). */
    atAnchor: z
      .object({ entrySeq: z.number().int().min(1), hash: Hex32.nullable() })
      .strict()
      .nullable(),
    /** Payments stored and not yet forwarded, for the operator's fleet view. */
    queueDepth: z.number().int().min(0),
    softwareVersion: z.string().max(SOFTWARE_VERSION_MAX),
  })
  .strict()
  .superRefine((req, ctx) => {
    for (let i = 1; i < req.payments.length; i++) {
      if ((req.payments[i] as UploadedPayment).seq <= (req.payments[i - 1] as UploadedPayment).seq) {
        ctx.addIssue({
          code: 'custom',
          path: ['payments', i, 'seq'],
          message: 'payments must be in increasing seq order',
        });
      }
    }
  });
export type UploadRequest = z.infer<typeof UploadRequest>;

export const PaymentResult = z
  .object({
    paymentId: Uuid,
    seq: Seq,
    state: z.enum(HELD_PAYMENT_STATES),
    reason: Reason.optional(),
    duplicate: z.boolean(),
  })
  .strict();
export type PaymentResult = z.infer<typeof PaymentResult>;

export const Conflict = z.object({ paymentId: Uuid, seq: Seq, reason: Reason }).strict();
export type Conflict = z.infer<typeof Conflict>;

export const UploadResponse = z
  .object({
    results: z.array(PaymentResult),
    /** Payments refused because the core holds other facts under that paymentId or seq: never overwritten. */
    conflicts: z.array(Conflict),
    highestContiguousSeq: z.number().int().min(0),
    anchor: z
      .object({ entrySeq: z.number().int().min(1), hash: Hex32 })
      .strict()
      .nullable(),
  })
  .strict();
export type UploadResponse = z.infer<typeof UploadResponse>;

export const ResultsResponse = z.object({ results: z.array(PaymentResult) }).strict();
export type ResultsResponse = z.infer<typeof ResultsResponse>;

// --- errors ---------------------------------------------------------------------------------

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'BAD_SIGNATURE',
  'STALE_REQUEST',
  'REPLAYED_REQUEST',
  'UNKNOWN_TERMINAL',
  'TERMINAL_REVOKED',
  'ACTIVATION_CODE_INVALID',
  'ACTIVATION_CODE_USED',
  'ACTIVATION_CODE_EXPIRED',
  'CONFLICT',
  'JOURNAL_DIVERGED',
  'NOT_FOUND',
  'ORDER_NOT_PENDING',
  'ORDER_EXPIRED',
  'PAYMENT_REFUSED',
  'PARTIAL_REFUND',
  'NOT_REFUNDABLE',
  /** 503: the core could not reach its database, so it did nothing with the request. */
  'CORE_UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorResponse = z
  .object({
    error: z
      .object({ code: z.enum(ERROR_CODES), message: z.string(), field: z.string().optional() })
      .strict(),
  })
  .strict();
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** "payments.3.amount.minor: Invalid input ..." for a zod issue: the field first. */
export function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  const keys = (issue as { keys?: string[] }).keys;
  const field = [...issue.path, ...(keys && keys.length === 1 ? keys : [])].map(String).join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${keys && keys.length > 1 ? `s ${keys.join(', ')}` : ''}`
      : issue.message;
  return { field: field || '(body)', message: `${field || 'body'}: ${message}` };
}

export { CurrencyCode };
