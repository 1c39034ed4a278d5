/**
 * `journal verify`: proves the journal is the one the terminal's key wrote.
 *
 * 1. The hash chain, entry by entry, streamed (constant memory): gap-free entry numbers, each entry
 *    links to its predecessor's hash, each hash matches the entry's stored columns.
 * 2. Signatures at checkpoints (the first signed entry at or after every
 *    {@link DEFAULT_CHECKPOINT_EVERY}th) and on the head, which must be signed: the last entry of
 *    every transaction is signed and its signature covers the whole chain before it, so with step 1 a
 *    valid head signature proves every entry. When something fails, signatures are checked back to
 *    the last good checkpoint by binary search, then entry MACs (when the terminal's key is at hand)
 *    name the first entry touched, even if the tamperer recomputed every later hash: a changed entry
 *    can't carry a valid signature or MAC without the key.
 * 3. The payments table and its totals (the current-state read model) against the entries.
 *
 * What no local check can see: whole transactions cut off the end (the older head's signature is
 * genuine). The core anchors the head at every sync for that.
 */
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { GENESIS_HASH, HASH_DOMAIN, HASH_INPUT_SQL, stateAfterSql } from './entry.ts';

/** 1024 keeps signature checks to ~0.1 % of entries (Ed25519 verify ≈ 0.1 ms each, hashing ≈ 1 µs)
 * while a located failure needs at most ~10 extra checks. */
export const DEFAULT_CHECKPOINT_EVERY = 1024;
/** Entries read from SQLite per call while walking the chain. */
const CHAIN_CHUNK = 4096;
/** How often progress is reported, in entries. */
const PROGRESS_EVERY = 65_536;

export interface VerifyOptions {
  /** The terminal's public key, from its key file: never the one recorded inside the journal. */
  publicKey: crypto.KeyObject;
  /**
   * The terminal's entry MAC (from its private key). Without it (an auditor with the public key
   * only), a change is still detected, but located to its transaction rather than to the entry.
   */
  mac?: (hash: Buffer) => Buffer;
  /** Check every signature, not only checkpoints and the head. */
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

interface SignedRow {
  entry_seq: number;
  hash: Buffer;
  sig: Buffer;
}

export function verifyJournal(db: Database.Database, options: VerifyOptions): VerifyResult {
  const every = options.allSignatures ? 1 : (options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
  const { publicKey, mac } = options;
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

  const validSignature = (row: SignedRow) =>
    row.sig.length === 64 && crypto.verify(null, row.hash, publicKey, row.sig);
  const signedFrom = db.prepare(
    'SELECT entry_seq, hash, sig FROM entries WHERE entry_seq >= ? AND entry_seq <= ? AND sig IS NOT NULL ORDER BY entry_seq LIMIT 1',
  );
  const macOf = db.prepare('SELECT hash, mac FROM entries WHERE entry_seq = ?');

  /**
   * Given that entries up to `lastGood` are proven and something is wrong at or before `upTo`,
   * finds the first entry touched. Signature validity is monotone among signed entries in that range
   * (a valid one proves everything before it), so a binary search finds the first failing signed
   * entry; MACs then say which entry of its transaction changed.
   */
  const locate = (lastGood: number, upTo: number, fallback: number, problem: string): VerifyResult => {
    let lo = lastGood + 1;
    let hi = upTo;
    let firstBadSigned: number | null = null;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const row = signedFrom.get(mid, hi) as SignedRow | undefined;
      if (!row) {
        hi = mid - 1;
        continue;
      }
      if (validSignature(row)) {
        lo = row.entry_seq + 1;
      } else {
        firstBadSigned = row.entry_seq;
        hi = mid - 1;
      }
    }
    // Entries before `lo` are proven by a valid signature (or by lastGood).
    const candidateEnd = Math.min(firstBadSigned ?? fallback, fallback);
    if (mac) {
      for (let seq = lo; seq < candidateEnd; seq++) {
        const row = macOf.get(seq) as { hash: Buffer; mac: Buffer } | undefined;
        if (
          !row ||
          !crypto.timingSafeEqual(mac(row.hash), row.mac.length === 32 ? row.mac : Buffer.alloc(32))
        ) {
          return fail(
            seq,
            `entry ${seq} does not carry the terminal's MAC: it was changed, inserted or moved`,
          );
        }
      }
    }
    if (firstBadSigned !== null && firstBadSigned <= fallback) {
      const first = mac ? firstBadSigned : Math.min(lo, firstBadSigned);
      return fail(
        first,
        `entry ${first} does not carry the terminal's signature: it was changed, inserted or moved`,
      );
    }
    return fail(mac ? fallback : Math.min(lo, fallback), problem);
  };

  let expected = 1;
  let prevHex = GENESIS_HASH.toString('hex');
  let lastGood = 0;
  let nextCheckpoint = every;
  let headSigned = false;
  const prevAt = HASH_DOMAIN.length;
  // SQLite builds each entry's hash input in C (see HASH_INPUT_SQL); JavaScript sees a few values a
  // row and hashes one string in a single call. Rows come a chunk at a time (one call into SQLite
  // per CHAIN_CHUNK rows rather than one per row: about 15 % faster than iterating), so memory
  // stays that of one chunk whatever the journal's size.
  const chunkAfter = db
    .prepare(
      `SELECT entry_seq, ${HASH_INPUT_SQL} AS input, lower(hex(hash)) AS hash, sig IS NOT NULL AS signed
       FROM entries WHERE entry_seq > ? ORDER BY entry_seq LIMIT ${CHAIN_CHUNK}`,
    )
    .raw(true);
  for (let after = 0; ; ) {
    const chunk = chunkAfter.all(after) as [number, string, string, number][];
    if (chunk.length === 0) break;
    for (const [seq, input, hashHex, signed] of chunk) {
      let problem: string | null = null;
      if (seq !== expected) {
        problem = `entry ${expected} is missing (the next entry is ${seq})`;
      } else if (!input.startsWith(prevHex, prevAt) || input.charCodeAt(prevAt + 64) !== 10) {
        problem = `entry ${seq} does not link to entry ${seq - 1}: its previous-hash differs`;
      } else if (crypto.hash('sha256', input, 'hex') !== hashHex) {
        problem = `entry ${seq} does not match its hash: its content was changed`;
      } else if (signed && seq >= nextCheckpoint) {
        if (!validSignature(signedFrom.get(seq, seq) as SignedRow)) {
          return locate(lastGood, seq, seq, `entry ${seq} has an invalid signature`);
        }
        lastGood = seq;
        nextCheckpoint = seq + every;
      }
      if (problem) return locate(lastGood, expected - 1, expected, problem);
      headSigned = signed === 1;
      prevHex = hashHex;
      expected += 1;
      if (seq % PROGRESS_EVERY === 0) options.onProgress?.(seq, total);
    }
    after = expected - 1;
  }
  const count = expected - 1;
  if (count > lastGood) {
    if (!headSigned) {
      return locate(
        lastGood,
        count,
        count + 1,
        `the last entry (${count}) is not signed: the end of its transaction was cut off`,
      );
    }
    const head = signedFrom.get(count, count) as SignedRow;
    if (!validSignature(head))
      return locate(lastGood, count, count, `entry ${count} has an invalid signature`);
  }
  options.onProgress?.(count, total);

  const projection = checkPayments(db);
  if (projection) return fail(projection.entrySeq, projection.reason);
  return { ok: true, entries: count, head: prevHex };
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
             WHEN ${stateAfterSql('l')} IS NOT p.status THEN 'its status differs'
           END AS problem,
           -- The entry to point at: the captured one for its facts; for its latest state, the entry the
           -- table names (missing from the journal) or the journal's latest (the table was changed).
           CASE
             WHEN e.entry_seq IS NULL THEN p.last_entry_seq
             WHEN l.entry_seq IS NOT p.last_entry_seq THEN min(p.last_entry_seq, coalesce(l.entry_seq, 0) + 1)
             WHEN ${stateAfterSql('l')} IS NOT p.status THEN l.entry_seq
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
  const totals = db
    .prepare(
      `SELECT coalesce(t.status, a.status) AS status, coalesce(t.currency, a.currency) AS currency FROM payment_totals t
       FULL JOIN (SELECT status, currency, count(*) AS n, sum(amount_minor) AS total FROM payments GROUP BY status, currency) a
         ON a.status = t.status AND a.currency = t.currency
       WHERE coalesce(t.count, 0) IS NOT coalesce(a.n, 0) OR coalesce(t.total_minor, 0) IS NOT coalesce(a.total, 0) LIMIT 1`,
    )
    .get() as { status: string; currency: string } | undefined;
  if (totals) {
    return {
      entrySeq: 0,
      reason: `the payment totals for ${totals.status} ${totals.currency} disagree with the payments`,
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
