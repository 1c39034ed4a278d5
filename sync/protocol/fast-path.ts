/**
 * Fast acceptance of the two big messages of store and forward: an upload (up to 2,000 payments)
 * and its answer. The zod schemas in wire.ts stay the definition and the only source of errors;
 * these functions only answer "this value is certainly valid" (returning it, typed) or null, and
 * the caller then parses with zod, which accepts or names the bad field. They exist because zod
 * took ~10-40 µs a payment (a strict object, a discriminated union, six regexes and refinements
 * per payment), the largest cost of an upload in the core's process after the database.
 *
 * The rule for every check here: never accept what the schema refuses. Anything unexpected (an
 * unknown key, a key missing, a value of another type) returns null and leaves the verdict to zod.
 * fast-path.test.ts holds them to the schemas on generated and mutated messages.
 */
import { isKnownCurrency } from './money.ts';
import {
  CLOCK_OFFSET_MAX_MS,
  HELD_PAYMENT_STATES,
  ISO_TIME_PATTERN,
  PATTERNS,
  REASON_MAX,
  RECORDED_STATES,
  SOFTWARE_VERSION_MAX,
  UPLOAD_MAX_PAYMENTS,
  type UploadRequest,
  type UploadResponse,
} from './wire.ts';

const { uuid: UUID, hex32: HEX32, signature: SIGNATURE, paymentCode: CODE, scheme: SCHEME } = PATTERNS;
const RECORD_STATES = new Set<string>(RECORDED_STATES);
const RESULT_STATES = new Set<string>(HELD_PAYMENT_STATES);

type Obj = Record<string, unknown>;

/** A plain object (as JSON.parse makes) with exactly `count` own keys. */
function object(v: unknown, count: number): v is Obj {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.getPrototypeOf(v) === Object.prototype &&
    Object.keys(v).length === count
  );
}

const has = (o: Obj, key: string) => Object.hasOwn(o, key);
const str = (v: unknown, re: RegExp): v is string => typeof v === 'string' && re.test(v);
const int = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const offsetOk = (v: unknown) => Number.isSafeInteger(v) && Math.abs(v as number) <= CLOCK_OFFSET_MAX_MS;
const reasonOk = (v: unknown) => typeof v === 'string' && v.length <= REASON_MAX;

function amountOk(v: unknown): boolean {
  return (
    object(v, 2) &&
    int(v.minor, 1) &&
    typeof v.currency === 'string' &&
    isKnownCurrency(v.currency) &&
    has(v, 'minor') &&
    has(v, 'currency')
  );
}

/** The facts shared by every uploaded payment (keys counted by the caller). */
function factsOk(p: Obj): boolean {
  return (
    str(p.paymentId, UUID) &&
    int(p.seq, 1) &&
    amountOk(p.amount) &&
    str(p.scheme, SCHEME) &&
    str(p.codeHash, HEX32) &&
    str(p.capturedAt, ISO_TIME_PATTERN)
  );
}

function uploadedOk(p: unknown): boolean {
  if (typeof p !== 'object' || p === null) return false;
  const state = (p as Obj).state;
  if (state === 'accepted_offline') {
    const withOffset = has(p as Obj, 'clockOffsetMs');
    return (
      object(p, withOffset ? 9 : 8) &&
      factsOk(p) &&
      str(p.code, CODE) &&
      (!withOffset || offsetOk(p.clockOffsetMs))
    );
  }
  if (typeof state !== 'string' || !RECORD_STATES.has(state)) return false;
  const withReason = has(p as Obj, 'reason');
  return (
    object(p, withReason ? 9 : 8) &&
    factsOk(p) &&
    (p.mode === 'online' || p.mode === 'offline') &&
    (!withReason || reasonOk(p.reason))
  );
}

function headOk(v: unknown): boolean {
  return (
    object(v, 3) &&
    int(v.entrySeq, 0) &&
    str(v.hash, HEX32) &&
    (v.signature === null || str(v.signature, SIGNATURE))
  );
}

function anchorOk(v: unknown, hashNullable: boolean): boolean {
  return (
    v === null ||
    (object(v, 2) && int(v.entrySeq, 1) && (str(v.hash, HEX32) || (hashNullable && v.hash === null)))
  );
}

/** The upload itself when it is certainly valid, else null (then parse it with `UploadRequest`). */
export function fastUploadRequest(v: unknown): UploadRequest | null {
  if (!object(v, 5)) return null;
  const payments = v.payments;
  if (!Array.isArray(payments) || payments.length > UPLOAD_MAX_PAYMENTS) return null;
  let lastSeq = 0;
  for (const p of payments) {
    if (!uploadedOk(p)) return null;
    const seq = (p as { seq: number }).seq;
    if (seq <= lastSeq) return null;
    lastSeq = seq;
  }
  const ok =
    headOk(v.head) &&
    has(v, 'atAnchor') &&
    anchorOk(v.atAnchor, true) &&
    int(v.queueDepth, 0) &&
    typeof v.softwareVersion === 'string' &&
    v.softwareVersion.length <= SOFTWARE_VERSION_MAX;
  return ok ? (v as unknown as UploadRequest) : null;
}

function resultOk(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const withReason = has(r as Obj, 'reason');
  return (
    object(r, withReason ? 5 : 4) &&
    str(r.paymentId, UUID) &&
    int(r.seq, 1) &&
    typeof r.state === 'string' &&
    RESULT_STATES.has(r.state) &&
    (!withReason || reasonOk(r.reason)) &&
    typeof r.duplicate === 'boolean'
  );
}

function conflictOk(c: unknown): boolean {
  return object(c, 3) && str(c.paymentId, UUID) && int(c.seq, 1) && reasonOk(c.reason);
}

/** The core's answer to an upload when it is certainly valid, else null (then parse it with `UploadResponse`). */
export function fastUploadResponse(v: unknown): UploadResponse | null {
  if (!object(v, 4)) return null;
  const { results, conflicts } = v;
  if (!Array.isArray(results) || !Array.isArray(conflicts)) return null;
  for (const r of results) if (!resultOk(r)) return null;
  for (const c of conflicts) if (!conflictOk(c)) return null;
  const ok = int(v.highestContiguousSeq, 0) && has(v, 'anchor') && anchorOk(v.anchor, false);
  return ok ? (v as unknown as UploadResponse) : null;
}
