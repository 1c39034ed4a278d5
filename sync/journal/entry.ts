/**
 * Journal entries: what is hashed and signed, and how.
 *
 * An entry's hash is SHA-256 over the previous entry's hash and the entry's stored columns, in a
 * fixed text layout (see {@link hashInput}). Every entry carries a MAC of its hash and of where it
 * stands in its transaction (see {@link macInput}) under a key derived from the terminal's private
 * key: with it, the terminal's own `journal verify` names exactly which entry was changed. The head
 * is signed (Ed25519 over its 32-byte hash) within a quarter second of being written
 * (DEFAULT_SIGN_WITHIN_MS in journal.ts); a valid signature on entry N vouches for the whole chain up
 * to N, to anyone with the public key. The body is canonical JSON written once by
 * {@link encodeBody} and hashed as stored, so verification never re-serialises anything.
 */
import crypto from 'node:crypto';

/** Format tag mixed into every hash so a Suanpan entry hash can't be confused with any other. */
export const HASH_DOMAIN = 'suanpan-journal/1\n';
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/**
 * Where an entry stands in its write transaction: the first of it, the last, both (a payment
 * captured alone) or neither (the middle of several state changes recorded at once, or of a bulk
 * capture).
 */
export interface EntryMark {
  starts: boolean;
  ends: boolean;
}

/**
 * What an entry's MAC is over: its hash, followed by a byte marking where it stands in its
 * transaction (1: the last, 2: the first). So the terminal's key vouches for the transactions'
 * bounds too: a head that doesn't end its transaction, or an entry starting one after an entry that
 * didn't end one, shows that the rest of a transaction was cut off, even under entries appended
 * since. Entries written before migration 0010 have their MAC over the hash alone (`legacy`); each
 * of their transactions' last entries is signed.
 */
export function macInput(hash: Buffer, mark: EntryMark): Buffer {
  // One small buffer (from Node's pool), not the two and the list of Buffer.concat: one per entry.
  const input = Buffer.allocUnsafe(hash.length + 1);
  hash.copy(input);
  input[hash.length] = (mark.ends ? 1 : 0) | (mark.starts ? 2 : 0);
  return input;
}

const MARKS: readonly EntryMark[] = [
  { starts: true, ends: true },
  { starts: false, ends: false },
  { starts: true, ends: false },
  { starts: false, ends: true },
];

/**
 * The mark an entry's stored MAC carries, `legacy` for a MAC over the hash alone, or null when the
 * MAC is not the terminal's (the entry was changed, inserted or moved without its key).
 */
export function macMark(
  mac: (input: Buffer) => Buffer,
  row: { hash: Buffer; mac: Buffer },
): EntryMark | 'legacy' | null {
  if (row.mac.length !== 32) return null;
  for (const mark of MARKS) if (crypto.timingSafeEqual(mac(macInput(row.hash, mark)), row.mac)) return mark;
  return crypto.timingSafeEqual(mac(row.hash), row.mac) ? 'legacy' : null;
}

export const PAYMENT_STATES = [
  'approved',
  'accepted_offline',
  'declined',
  'unknown',
  'settled',
  'declined_after_sync',
  'voided',
  'refunded',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/**
 * `sync_results` (from migration 0011): the core's results for a batch of payments stored offline,
 * in one entry (see {@link SyncResultsBody}), written where an entry per payment made recording a
 * sync's answers most of the terminal's work in a drain.
 */
export const ENTRY_KINDS = ['captured', ...PAYMENT_STATES, 'shift_closed', 'sync_results'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** The kind of entry that names several payments in its body rather than one in `payment_id`. */
export const SYNC_RESULTS = 'sync_results';

/** One payment's result in a `sync_results` entry: it moved from accepted_offline to `status`. */
export interface SyncResultItem {
  paymentId: string;
  seq: number;
  status: 'settled' | 'declined_after_sync';
  /** Why the core declined it; absent when settled. */
  reason?: string;
}

/** A `sync_results` entry's body: its payments in the order recorded, each named once. */
export interface SyncResultsBody {
  results: SyncResultItem[];
}

/**
 * Allowed state changes. `captured` is the state between capture and the first decision (an online
 * call in flight). Corrections are new entries, so a payment only ever moves forward along these.
 */
export const TRANSITIONS: Readonly<Record<PaymentState | 'captured', readonly PaymentState[]>> = {
  captured: ['approved', 'accepted_offline', 'declined', 'unknown'],
  // An online call that timed out is resolved by query (approved or declined), or by cancel (declined).
  unknown: ['approved', 'declined'],
  accepted_offline: ['settled', 'declined_after_sync'],
  approved: ['settled', 'voided', 'refunded'],
  settled: ['voided', 'refunded'],
  declined: [],
  declined_after_sync: [],
  voided: [],
  refunded: [],
};

/** States after which the core will never need the raw payment code again. */
export function keepsPaymentCode(state: PaymentState | 'captured'): boolean {
  return state === 'captured' || state === 'accepted_offline';
}

/**
 * The payment state an entry leaves its payment in: a state entry's kind; for a `captured` entry, the
 * `status` its body carries when the payment was decided in the capture itself (offline: accepted
 * or declined by the policy), else `captured` (an online call in flight); none for a shift close,
 * nor for a `sync_results` entry, which names its payments' states in its body.
 */
export function stateAfter(kind: EntryKind, body: { status?: unknown }): PaymentState | 'captured' | null {
  if (kind === 'shift_closed' || kind === SYNC_RESULTS) return null;
  if (kind === 'captured') return (body.status as PaymentState | undefined) ?? 'captured';
  return kind;
}

/** {@link stateAfter} as SQL over `alias`'s row (a payment's own entry: `payment_id` set). */
export function stateAfterSql(alias: string): string {
  return `CASE ${alias}.kind WHEN 'captured' THEN coalesce(json_extract(${alias}.body, '$.status'), 'captured') ELSE ${alias}.kind END`;
}

/** One stored entry, as read back from the journal. */
export interface StoredEntry {
  entrySeq: number;
  kind: EntryKind;
  paymentId: string | null;
  at: string;
  /** Canonical JSON text, exactly as hashed. */
  body: string;
  prevHash: Buffer;
  hash: Buffer;
  /** Ed25519 signature; null on entries that are not the last of their transaction. */
  sig: Buffer | null;
  mac: Buffer;
}

/** Canonical JSON: the caller builds the object with a fixed key order; undefined members are dropped. */
export function encodeBody(body: Record<string, unknown>): string {
  return JSON.stringify(body);
}

/**
 * The text an entry's hash is computed over:
 *   "suanpan-journal/1\n" prevHashHex "\n" entrySeq "\n" kind "\n" paymentId "\n" at "\n" body
 * Fields are newline-separated and none can hold a raw newline (JSON escapes it; the rest are an
 * enum, a UUID and an ISO time), so the layout is unambiguous. It is plain text on purpose: verify
 * has SQLite build it in C for each row and hashes it in one call, which is what makes a million
 * entries a few seconds' work (see verify.ts, HASH_INPUT_SQL).
 */
export function hashInput(
  prevHash: Buffer,
  entrySeq: number,
  kind: string,
  paymentId: string | null,
  at: string,
  body: string,
): string {
  return `${HASH_DOMAIN}${prevHash.toString('hex')}\n${entrySeq}\n${kind}\n${paymentId ?? ''}\n${at}\n${body}`;
}

export function entryHash(
  prevHash: Buffer,
  entrySeq: number,
  kind: string,
  paymentId: string | null,
  at: string,
  body: string,
): Buffer {
  return crypto.hash('sha256', hashInput(prevHash, entrySeq, kind, paymentId, at, body), 'buffer');
}

/** The same text as {@link hashInput}, built by SQLite from a row of `entries`. */
export const HASH_INPUT_SQL = `'${HASH_DOMAIN.trimEnd()}' || char(10) || lower(hex(prev_hash)) || char(10) || entry_seq
  || char(10) || kind || char(10) || coalesce(payment_id, '') || char(10) || at || char(10) || body`;
