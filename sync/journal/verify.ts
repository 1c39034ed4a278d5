/**
 * `journal verify`: proves the journal is the one the terminal's key wrote.
 *
 * 1. The hash chain, entry by entry, streamed (constant memory): gap-free entry numbers, each entry
 *    links to its predecessor's hash, each hash matches the entry's stored columns.
 * 2. Signatures at checkpoints (every {@link DEFAULT_CHECKPOINT_EVERY}th entry) and on the head.
 *    Every entry is signed when written and its signature covers the whole chain before it, so with
 *    step 1 a valid head signature proves every entry. When something fails, signatures are checked
 *    one by one (binary search) back to the last good checkpoint, so `firstBadSeq` names the first
 *    entry touched even if the tamperer recomputed every later hash: a changed entry can't carry a
 *    valid signature without the key.
 * 3. The payments table (the current-state read model) against the entries.
 *
 * What no local check can see: cutting entries off the end (the older head's signature is genuine).
 * The core anchors the head at every sync for that.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { entryHash, GENESIS_HASH } from './entry.ts';

/** 1024 keeps signature checks to ~0.1 % of entries (Ed25519 verify ≈ 0.1 ms each, hashing ≈ 2 µs)
 * while a located failure needs at most ~10 extra checks. */
export const DEFAULT_CHECKPOINT_EVERY = 1024;
/** How often progress is reported, in entries. */
const PROGRESS_EVERY = 65_536;

export interface VerifyOptions {
  /** The terminal's public key, from its key file: never the one recorded inside the journal. */
  publicKey: crypto.KeyObject;
  /** Check every entry's signature (slow: ~0.1 ms each) instead of checkpoints and the head. */
  allSignatures?: boolean;
  checkpointEvery?: number;
  onProgress?: (done: number, total: number) => void;
}

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | {
      ok: false;
      /** The first entry found changed, missing or inserted; 0 means the journal's header. */
      firstBadSeq: number;
      reason: string;
      entries: number;
    };

type Row = [number, string, string | null, string, string, Buffer, Buffer, Buffer];

export function verifyJournal(db: Database.Database, options: VerifyOptions): VerifyResult {
  const every = options.allSignatures ? 1 : (options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
  const { publicKey } = options;
  const total = (db.prepare('SELECT max(entry_seq) AS n FROM entries').get() as { n: number | null }).n ?? 0;
  const fail = (firstBadSeq: number, reason: string): VerifyResult => ({
    ok: false,
    firstBadSeq,
    reason,
    entries: total,
  });

  const recorded = (
    db.prepare("SELECT value FROM journal_meta WHERE key = 'public_key'").get() as
      | { value: string }
      | undefined
  )?.value;
  const expectedKey = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  if (recorded !== expectedKey) {
    return fail(0, "the journal's recorded public key is not this terminal's key");
  }

  const signatureOf = db.prepare('SELECT hash, sig FROM entries WHERE entry_seq = ?');
  const validSignature = (hash: Buffer, sig: Buffer) =>
    sig.length === 64 && crypto.verify(null, hash, publicKey, sig);
  const signedAt = (seq: number) => {
    const row = signatureOf.get(seq) as { hash: Buffer; sig: Buffer };
    return validSignature(row.hash, row.sig);
  };
  /** First entry in [lo, hi] whose signature fails, given that validity is monotone there. */
  const firstUnsigned = (lo: number, hi: number): number | null => {
    if (hi < lo || signedAt(hi)) return null;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (signedAt(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const locate = (lastGood: number, upTo: number, fallback: number, problem: string): VerifyResult => {
    const first = firstUnsigned(lastGood + 1, upTo);
    if (first !== null && first < fallback) {
      return fail(
        first,
        `entry ${first} does not carry the terminal's signature: it was changed, inserted or moved`,
      );
    }
    return fail(fallback, problem);
  };

  let expected = 1;
  let prev = GENESIS_HASH;
  let lastGood = 0;
  const rows = db
    .prepare(
      'SELECT entry_seq, kind, payment_id, at, body, prev_hash, hash, sig FROM entries ORDER BY entry_seq',
    )
    .raw(true);
  for (const row of rows.iterate() as IterableIterator<Row>) {
    const [seq, kind, paymentId, at, body, prevHash, hash, sig] = row;
    let problem: string | null = null;
    if (seq !== expected) {
      problem = `entry ${expected} is missing (the next entry is ${seq})`;
    } else if (!prevHash.equals(prev)) {
      problem = `entry ${seq} does not link to entry ${seq - 1}: its previous-hash differs`;
    } else if (!entryHash(prevHash, seq, kind, paymentId, at, body).equals(hash)) {
      problem = `entry ${seq} does not match its hash: its content was changed`;
    } else if (seq % every === 0) {
      if (!validSignature(hash, sig))
        return locate(lastGood, seq, seq, `entry ${seq} has an invalid signature`);
      lastGood = seq;
    }
    if (problem) return locate(lastGood, expected - 1, expected, problem);
    prev = hash;
    expected += 1;
    if (seq % PROGRESS_EVERY === 0) options.onProgress?.(seq, total);
  }
  const count = expected - 1;
  if (count > lastGood) {
    const first = firstUnsigned(lastGood + 1, count);
    if (first !== null) {
      return fail(
        first,
        `entry ${first} does not carry the terminal's signature: it was changed, inserted or moved`,
      );
    }
  }
  options.onProgress?.(count, total);

  const projection = checkPayments(db);
  if (projection) return fail(projection.entrySeq, projection.reason);
  return { ok: true, entries: count, head: prev.toString('hex') };
}

/** The payments table must say what the entries say. Returns the first disagreement. */
function checkPayments(db: Database.Database): { entrySeq: number; reason: string } | null {
  const mismatch = db
    .prepare(
      `SELECT payment_id, bad_seq, problem FROM (
         SELECT p.payment_id,
           CASE
             WHEN e.entry_seq IS NULL THEN 'it has no captured entry'
             WHEN json_extract(e.body, '$.seq') IS NOT p.seq THEN 'its seq differs'
             WHEN json_extract(e.body, '$.amount.minor') IS NOT p.amount_minor THEN 'its amount differs'
             WHEN json_extract(e.body, '$.amount.currency') IS NOT p.currency THEN 'its currency differs'
             WHEN json_extract(e.body, '$.scheme') IS NOT p.scheme THEN 'its scheme differs'
             WHEN json_extract(e.body, '$.codeHash') IS NOT lower(hex(p.code_hash)) THEN 'its code hash differs'
             WHEN json_extract(e.body, '$.codeMasked') IS NOT p.code_masked THEN 'its masked code differs'
             WHEN e.at IS NOT p.captured_at THEN 'its capture time differs'
             WHEN l.entry_seq IS NOT p.last_entry_seq THEN 'its latest entry differs'
             WHEN l.kind IS NOT p.status THEN 'its status differs'
           END AS problem,
           -- The entry to point at: the captured one for its facts; for its latest state, the entry the
           -- table names (missing from the journal) or the journal's latest (the table was changed).
           CASE
             WHEN e.entry_seq IS NULL THEN p.last_entry_seq
             WHEN l.entry_seq IS NOT p.last_entry_seq THEN min(p.last_entry_seq, coalesce(l.entry_seq, 0) + 1)
             WHEN l.kind IS NOT p.status THEN l.entry_seq
             ELSE e.entry_seq
           END AS bad_seq
         FROM payments p
         LEFT JOIN entries e ON e.payment_id = p.payment_id AND e.kind = 'captured'
         LEFT JOIN entries l ON l.entry_seq = (
           SELECT x.entry_seq FROM entries x WHERE x.payment_id = p.payment_id ORDER BY x.entry_seq DESC LIMIT 1)
       ) WHERE problem IS NOT NULL ORDER BY bad_seq LIMIT 1`,
    )
    .get() as { payment_id: string; bad_seq: number | null; problem: string } | undefined;
  if (mismatch) {
    return {
      entrySeq: mismatch.bad_seq ?? 0,
      reason: `the payments table disagrees with the journal for payment ${mismatch.payment_id}: ${mismatch.problem}`,
    };
  }
  const orphan = db
    .prepare(
      `SELECT e.entry_seq FROM entries e WHERE e.kind = 'captured'
       AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = e.payment_id) ORDER BY e.entry_seq LIMIT 1`,
    )
    .get() as { entry_seq: number } | undefined;
  if (orphan) {
    return {
      entrySeq: orphan.entry_seq,
      reason: `the payment captured in entry ${orphan.entry_seq} is missing from the payments table`,
    };
  }
  const seqs = db.prepare('SELECT count(*) AS n, coalesce(max(seq), 0) AS top FROM payments').get() as {
    n: number;
    top: number;
  };
  if (seqs.n !== seqs.top) {
    return {
      entrySeq: 0,
      reason: `payment seq is not gap-free: ${seqs.n} payments, highest seq ${seqs.top}`,
    };
  }
  return null;
}
