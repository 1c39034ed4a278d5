/**
 * `journal verify`: proves the journal is the one the terminal's key wrote.
 *
 * 1. The hash chain, entry by entry, read a chunk at a time (constant memory): gap-free entry
 *    numbers, each entry links to its predecessor's hash, each hash matches the entry's stored
 *    columns. On a large journal, in two halves at once (the second in a worker thread).
 * 2. Signatures at checkpoints (the first signed entry at or after every
 *    {@link DEFAULT_CHECKPOINT_EVERY}th) and on the last signed entry: a signature covers the whole
 *    chain before it, so with step 1 a valid one proves every entry up to it. The head is signed
 *    within a short window of being written (DEFAULT_SIGN_WITHIN_MS in journal.ts); entries after the
 *    last signature (a terminal stopped within that window) are checked by their MACs, which needs
 *    the terminal's key. When something fails, signatures are checked back to the last good
 *    checkpoint by binary search, then entry MACs (when the terminal's key is at hand) name the first
 *    entry touched, even if the tamperer recomputed every later hash: a changed entry can't carry a
 *    valid signature or MAC without the key.
 * 3. The payments table and its totals (the current-state read model) against the entries.
 *
 * What no local check can see: whole transactions cut off the end, signed or still waiting for their
 * signature (what is left is genuine; a transaction cut short shows, by the MACs' marks). The core
 * anchors the head at every sync for that.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { GENESIS_HASH, HASH_DOMAIN, HASH_INPUT_SQL, macMark, SYNC_RESULTS, stateAfterSql } from './entry.ts';

/** 1024 keeps signature checks to ~0.1 % of entries (Ed25519 verify ≈ 0.1 ms each, hashing ≈ 1 µs)
 * while a located failure needs at most ~10 extra checks. */
export const DEFAULT_CHECKPOINT_EVERY = 1024;
/** Entries read from SQLite per call while walking the chain. */
const CHAIN_CHUNK = 4096;
/** How often progress is reported, in entries. */
const PROGRESS_EVERY = 65_536;
/**
 * From this many entries the chain is walked in two halves at once (the second by a worker thread).
 * Starting the worker costs about 60 ms here; at this size the split saves about twice that (half
 * of ~0.3 s), and more as the journal grows.
 */
const PARALLEL_FROM = 100_000;
const GENESIS_HEX = GENESIS_HASH.toString('hex');

export interface VerifyOptions {
  /** The terminal's public key, from its key file: never the one recorded inside the journal. */
  publicKey: crypto.KeyObject;
  /**
   * The terminal's entry MAC (from its private key). Without it (an auditor with the public key
   * only), a change is still detected, but located only to the entries after the signature before
   * it (a transaction, or a signing window's payments), and entries after the last signature can't
   * be vouched for.
   */
  mac?: (hash: Buffer) => Buffer;
  /** Check every signature, not only checkpoints and the head. */
  allSignatures?: boolean;
  checkpointEvery?: number;
  onProgress?: (done: number, total: number) => void;
  /** Walk the chain in two threads from this many entries (default {@link PARALLEL_FROM}). */
  parallelFrom?: number;
  /**
   * The {@link identityOf} the file `db` has open, taken when it was opened. The worker thread opens
   * the file again by its name and walks its half only if it finds that same file there, not one
   * put in its place since (a genuine copy renamed over a changed journal, say). Without it, the
   * chain is walked in one thread.
   */
  fileIdentity?: string;
  /** Told why, when a worker thread could not walk its half and this thread walked it instead. */
  onSingleThread?: (reason: string) => void;
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

export async function verifyJournal(db: Database.Database, options: VerifyOptions): Promise<VerifyResult> {
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
  const macsIn = db.prepare(
    'SELECT entry_seq, hash, mac FROM entries WHERE entry_seq >= ? AND entry_seq <= ? ORDER BY entry_seq',
  );
  const lastSignedIn = db.prepare(
    'SELECT entry_seq, hash, sig FROM entries WHERE entry_seq >= ? AND entry_seq <= ? AND sig IS NOT NULL ORDER BY entry_seq DESC LIMIT 1',
  );

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
        if (!row || macMark(mac, row) === null) {
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

  // The chain in two halves at once on a large journal: this thread walks the first, a worker thread
  // (its own read connection) the second, linked by the stored hash of the last entry of the first.
  const parallel =
    options.fileIdentity !== undefined && total >= Math.max(2, options.parallelFrom ?? PARALLEL_FROM);
  const split = parallel ? Math.floor(total / 2) : total;
  const segment = (from: number, to: number, prevHex: string): ChainSegment => ({
    from,
    to,
    prevHex,
    every,
    firstCheckpoint: firstCheckpointFrom(db, from, every),
    chunk: CHAIN_CHUNK,
    progressEvery: PROGRESS_EVERY,
    hashInputSql: HASH_INPUT_SQL,
    prevAt: HASH_DOMAIN.length,
  });
  const walkedByWorker = new Int32Array(new SharedArrayBuffer(4));
  // The link between the halves: the stored hash of the first half's last entry.
  const linkHex = split < total ? hashHexAt(db, split) : GENESIS_HEX;
  const second =
    split < total
      ? walkInWorker(
          db.name,
          options.fileIdentity as string,
          segment(split + 1, total, linkHex),
          publicKey,
          walkedByWorker,
        )
      : null;
  const report = (walked: number) => options.onProgress?.(walked + Atomics.load(walkedByWorker, 0), total);
  const walkSecondHalfHere = () => {
    Atomics.store(walkedByWorker, 0, 0);
    return walkChain(db, crypto, { ...segment(split + 1, total, linkHex), publicKey }, (n) =>
      report(split + n),
    );
  };
  let walk: ChainWalk;
  let lastGood: number;
  try {
    const first = walkChain(db, crypto, { ...segment(1, split, GENESIS_HEX), publicKey }, report);
    walk = first;
    lastGood = first.lastGood;
    if (second && !first.problem) {
      // A worker that could not start or read (no threads where this runs, say) leaves its half to
      // this thread: the answer is the same, only slower. A journal that can't be read fails here.
      const answer = await second.result;
      if (typeof answer === 'string') options.onSingleThread?.(answer);
      walk = typeof answer === 'string' ? walkSecondHalfHere() : answer;
      lastGood = walk.lastGood || first.lastGood;
      if (first.lastHash !== linkHex && !walk.problem) {
        // The second half was linked to a hash read apart from the first half's walk: they must agree.
        walk = {
          ...walk,
          problem: {
            at: split + 1,
            reason: `entry ${split + 1} does not link to entry ${split}: its previous-hash differs`,
            signature: false,
          },
        };
      }
    }
  } finally {
    second?.stop();
  }
  if (walk.problem) {
    const { problem } = walk;
    return problem.signature
      ? locate(lastGood, problem.at, problem.at, problem.reason)
      : locate(lastGood, problem.at - 1, problem.at, problem.reason);
  }
  const count = walk.last;
  const headSigned = walk.headSigned;
  const prevHex = walk.lastHash;
  if (count > lastGood) {
    // The last signed entry: the head, or the one before the entries still waiting for their
    // signature (written within the signing window by a terminal that stopped before signing them:
    // see DEFAULT_SIGN_WITHIN_MS in journal.ts).
    const signed = headSigned
      ? (signedFrom.get(count, count) as SignedRow)
      : (lastSignedIn.get(lastGood + 1, count) as SignedRow | undefined);
    if (signed && !validSignature(signed))
      return locate(
        lastGood,
        signed.entry_seq,
        signed.entry_seq,
        `entry ${signed.entry_seq} has an invalid signature`,
      );
    const provenTo = signed?.entry_seq ?? lastGood;
    if (provenTo < count) {
      if (!mac) {
        return fail(
          provenTo + 1,
          `entries ${provenTo + 1} to ${count} are not signed yet (the terminal stopped before signing them, or the end of a transaction was cut off): only the terminal's own key can check them; run journal verify on the terminal`,
        );
      }
      // Each entry after the last signature carries the terminal's MAC, and the transactions are
      // whole: by the MACs' marks (see macInput), an entry starts a transaction exactly when the one
      // before ended one, and the head ends one. (Entries of older builds, with a MAC over the hash
      // alone, end a transaction exactly when signed: never here.)
      const before = provenTo > 0 ? (macsIn.get(provenTo, provenTo) as MacRow) : null;
      const beforeMark = before ? macMark(mac, before) : null;
      if (before && beforeMark === null)
        return fail(
          provenTo,
          `entry ${provenTo} does not carry the terminal's MAC: it was changed, inserted or moved`,
        );
      let prevEnds = before === null || beforeMark === 'legacy' || beforeMark?.ends === true;
      let prevLegacy = beforeMark === 'legacy';
      for (const row of macsIn.iterate(provenTo + 1, count) as IterableIterator<MacRow>) {
        const mark = macMark(mac, row);
        if (mark === null)
          return fail(
            row.entry_seq,
            `entry ${row.entry_seq} does not carry the terminal's MAC: it was changed, inserted or moved`,
          );
        const follows = mark === 'legacy' ? prevLegacy && !prevEnds : mark.starts === prevEnds;
        if (!follows)
          return fail(
            row.entry_seq,
            `entry ${row.entry_seq} does not follow on from entry ${row.entry_seq - 1}: the rest of the transaction of entry ${row.entry_seq - 1} was cut off`,
          );
        prevEnds = mark !== 'legacy' && mark.ends;
        prevLegacy = mark === 'legacy';
      }
      if (!prevEnds)
        return fail(
          count + 1,
          `the last entry (${count}) is not the end of its transaction: the rest of it was cut off`,
        );
    }
  }
  options.onProgress?.(count, total);

  const projection = checkPayments(db);
  if (projection) return fail(projection.entrySeq, projection.reason);
  const damage = fileDamage(db);
  if (damage) return fail(0, damage);
  return { ok: true, entries: count, head: prevHex };
}

type MacRow = { entry_seq: number; hash: Buffer; mac: Buffer };

/**
 * SQLite's own check of the file's pages: damage outside the chain and the payments (the sync
 * state, the parked payments, free pages) stops payments as surely, and the chain walk never reads it.
 */
function fileDamage(db: Database.Database): string | null {
  const problems = sqliteProblems(db, 'quick_check');
  if (problems.length === 0) return null;
  return `the journal file is damaged (SQLite's check: ${problems.join('; ')}); its entries check out, but other parts of it (the sync state, the payments set aside from sync) may be lost`;
}

/**
 * SQLite's own check of the file, its first three problems (none: whole). A page too damaged to
 * walk stops the check itself (as it can stop integrity_check's reading of rows): one problem.
 */
export function sqliteProblems(db: Database.Database, check: 'quick_check' | 'integrity_check'): string[] {
  try {
    return (db.pragma(`${check}(3)`) as Record<string, string>[])
      .map((r) => r[check] as string)
      .filter((m) => m !== 'ok');
  } catch (err) {
    const code = String((err as { code?: string }).code);
    if (!code.startsWith('SQLITE_CORRUPT') && code !== 'SQLITE_NOTADB') throw err;
    return [(err as Error).message];
  }
}

/**
 * Each payment's latest result in a `sync_results` entry (see SyncResultsBody in entry.ts): the
 * entry, the seq it names the payment at and the state, per payment id; a payment named by several
 * has its latest (each replaces the one before, in entry order). Only those entries are read
 * (their index, migration 0011). Kept in a temporary table keyed by payment id for the checks
 * below: as a WITH clause, SQLite scanned it once per payment (100,000 payments synced took 7
 * minutes to verify, against 1.0 s this way and 1.3 s with an entry per result).
 */
const RESULT_MARKS = 'temp.verify_result_marks';
const FILL_RESULT_MARKS_SQL = `INSERT OR REPLACE INTO ${RESULT_MARKS} (payment_id, entry_seq, seq, status)
    SELECT iif(json_type(r.value, '$.paymentId') = 'text', r.value ->> 'paymentId', ''), e.entry_seq,
      r.value ->> 'seq', r.value ->> 'status'
    FROM entries e, json_each(e.body, '$.results') r
    WHERE e.kind = '${SYNC_RESULTS}'
    ORDER BY e.entry_seq`;

/** The payments table must say what the entries say. Returns the first disagreement. */
function checkPayments(db: Database.Database): { entrySeq: number; reason: string } | null {
  db.exec(`DROP TABLE IF EXISTS ${RESULT_MARKS};
    CREATE TABLE ${RESULT_MARKS} (payment_id TEXT PRIMARY KEY, entry_seq INTEGER NOT NULL, seq, status) WITHOUT ROWID;`);
  try {
    // One read transaction: another process recording results between the two would make a genuine
    // journal's payments disagree with the marks read before them.
    return db
      .transaction(() => {
        db.prepare(FILL_RESULT_MARKS_SQL).run();
        return checkPaymentsAgainst(db);
      })
      .deferred();
  } finally {
    db.exec(`DROP TABLE IF EXISTS ${RESULT_MARKS}`);
  }
}

function checkPaymentsAgainst(db: Database.Database): { entrySeq: number; reason: string } | null {
  const mismatch = db
    .prepare(
      `WITH latest AS (
         SELECT p.*,
           iif(m.entry_seq > coalesce(l.entry_seq, 0), m.entry_seq, l.entry_seq) AS last_seq,
           iif(m.entry_seq > coalesce(l.entry_seq, 0), m.status, ${stateAfterSql('l')}) AS last_state,
           iif(m.entry_seq > coalesce(l.entry_seq, 0), m.seq, p.seq) AS last_names_seq
         FROM payments p
         LEFT JOIN entries l ON l.entry_seq = (
           SELECT x.entry_seq FROM entries x WHERE x.payment_id = p.payment_id ORDER BY x.entry_seq DESC LIMIT 1)
         LEFT JOIN ${RESULT_MARKS} m ON m.payment_id = p.payment_id)
       SELECT payment_id, bad_seq, problem FROM (
         SELECT p.payment_id,
           CASE
             WHEN e.entry_seq IS NULL THEN 'it has no captured entry'
             WHEN json_extract(e.body, '$.seq') IS NOT p.seq THEN 'its seq differs'
             WHEN json_extract(e.body, '$.amount.minor') IS NOT p.amount_minor THEN 'its amount differs'
             WHEN json_extract(e.body, '$.amount.currency') IS NOT p.currency THEN 'its currency differs'
             WHEN json_extract(e.body, '$.scheme') IS NOT p.scheme THEN 'its scheme differs'
             WHEN json_extract(e.body, '$.codeHash') IS NOT lower(hex(p.code_hash)) THEN 'its code hash differs'
             WHEN json_extract(e.body, '$.codeMasked') IS NOT p.code_masked THEN 'its masked code differs'
             WHEN json_extract(e.body, '$.clockOffsetMs') IS NOT p.clock_offset_ms THEN 'its clock offset differs'
             WHEN e.at IS NOT p.captured_at THEN 'its capture time differs'
             WHEN p.last_seq IS NOT p.last_entry_seq THEN 'its latest entry differs'
             WHEN p.last_state IS NOT p.status THEN 'its status differs'
             WHEN p.last_names_seq IS NOT p.seq THEN 'its sync result names it at another seq'
           END AS problem,
           -- The entry to point at: the captured one for its facts; for its latest state, the entry the
           -- table names (missing from the journal) or the journal's latest (the table was changed).
           CASE
             WHEN e.entry_seq IS NULL THEN p.last_entry_seq
             WHEN p.last_seq IS NOT p.last_entry_seq THEN min(p.last_entry_seq, coalesce(p.last_seq, 0) + 1)
             WHEN p.last_state IS NOT p.status OR p.last_names_seq IS NOT p.seq THEN p.last_seq
             ELSE e.entry_seq
           END AS bad_seq
         FROM latest p
         LEFT JOIN entries e ON e.payment_id = p.payment_id AND e.kind = 'captured'
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
  const unknown = db
    .prepare(
      `SELECT m.entry_seq, m.payment_id FROM ${RESULT_MARKS} m
       WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = m.payment_id) ORDER BY m.entry_seq LIMIT 1`,
    )
    .get() as { entry_seq: number; payment_id: string } | undefined;
  if (unknown) {
    return {
      entrySeq: unknown.entry_seq,
      reason:
        unknown.payment_id === ''
          ? `entry ${unknown.entry_seq} records a sync result without a payment id`
          : `entry ${unknown.entry_seq} records a sync result for payment ${unknown.payment_id}, which is missing from the payments table`,
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

/** A run of the chain to walk: entries `from`..`to`, the first linking to `prevHex`. */
interface ChainSegment {
  from: number;
  to: number;
  prevHex: string;
  /** Check the signature of the first signed entry at or after every `every`th... */
  every: number;
  /** ...the first of them at or after this one (see firstCheckpointFrom). */
  firstCheckpoint: number;
  chunk: number;
  progressEvery: number;
  hashInputSql: string;
  /** Where the previous hash starts in an entry's hash input. */
  prevAt: number;
}

interface ChainWalk {
  /** The last entry walked, its hash, and whether it is signed (the head must be). */
  last: number;
  lastHash: string;
  headSigned: boolean;
  /** The last entry whose signature was checked good (0: none in this segment). */
  lastGood: number;
  /** The first problem: `at` is the entry missing, unlinked or changed, or whose signature failed. */
  problem: { at: number; reason: string; signature: boolean } | null;
}

/**
 * Walks the hash chain over one segment: gap-free entry numbers, each entry linked to its
 * predecessor's hash, each hash matching the entry's stored columns, signatures at checkpoints.
 * SQLite builds each entry's hash input in C (see HASH_INPUT_SQL); JavaScript sees a few values a
 * row and hashes one string in a single call. Rows come a chunk at a time (one call into SQLite per
 * chunk, not per row: ~15 % faster), so memory is one chunk's whatever the journal's size.
 *
 * It runs as it is in a worker thread too (see {@link walkInWorker}), from its source text: so it
 * uses nothing but its arguments (no imports, no module constants, no inner named functions).
 */
function walkChain(
  db: Database.Database,
  nodeCrypto: typeof crypto,
  seg: ChainSegment & { publicKey: crypto.KeyObject },
  onProgress: (walked: number) => void,
): ChainWalk {
  const rows = db
    .prepare(
      `SELECT entry_seq, ${seg.hashInputSql} AS input, lower(hex(hash)) AS hash, sig IS NOT NULL AS signed
       FROM entries WHERE entry_seq > ? AND entry_seq <= ? ORDER BY entry_seq LIMIT ${seg.chunk}`,
    )
    .raw(true);
  const sigAt = db.prepare('SELECT sig FROM entries WHERE entry_seq = ?').pluck();
  let expected = seg.from;
  let prevHex = seg.prevHex;
  let headSigned = false;
  let lastGood = 0;
  let nextCheckpoint = seg.firstCheckpoint;
  let problem: ChainWalk['problem'] = null;
  // The first segment reads from below entry 1, so an entry numbered 0 or less is seen (as a gap).
  let after = seg.from === 1 ? Number.MIN_SAFE_INTEGER : seg.from - 1;
  chunks: for (;;) {
    const chunk = rows.all(after, seg.to) as [number, string, string, number][];
    if (chunk.length === 0) break;
    for (const [seq, input, hashHex, signed] of chunk) {
      if (seq !== expected) {
        problem = {
          at: expected,
          reason:
            seq > expected
              ? `entry ${expected} is missing (the next entry is ${seq})`
              : `an entry numbered ${seq} stands before entry ${expected}: entries are numbered from 1`,
          signature: false,
        };
      } else if (!input.startsWith(prevHex, seg.prevAt) || input.charCodeAt(seg.prevAt + 64) !== 10) {
        problem = {
          at: seq,
          reason: `entry ${seq} does not link to entry ${seq - 1}: its previous-hash differs`,
          signature: false,
        };
      } else if (nodeCrypto.hash('sha256', input, 'hex') !== hashHex) {
        problem = {
          at: seq,
          reason: `entry ${seq} does not match its hash: its content was changed`,
          signature: false,
        };
      } else if (signed && seq >= nextCheckpoint) {
        const sig = sigAt.get(seq) as Buffer;
        if (sig.length !== 64 || !nodeCrypto.verify(null, Buffer.from(hashHex, 'hex'), seg.publicKey, sig)) {
          problem = { at: seq, reason: `entry ${seq} has an invalid signature`, signature: true };
        } else {
          lastGood = seq;
          nextCheckpoint = (Math.floor(seq / seg.every) + 1) * seg.every;
        }
      }
      if (problem) break chunks;
      headSigned = signed === 1;
      prevHex = hashHex;
      expected += 1;
      if (seq % seg.progressEvery === 0) onProgress(seq - seg.from + 1);
    }
    after = expected - 1;
  }
  if (!problem && expected <= seg.to) {
    const next = db.prepare('SELECT min(entry_seq) FROM entries WHERE entry_seq > ?').pluck().get(expected);
    problem = {
      at: expected,
      reason: `entry ${expected} is missing (the next entry is ${next})`,
      signature: false,
    };
  }
  return { last: expected - 1, lastHash: prevHex, headSigned, lastGood, problem };
}

/**
 * Checkpoints are fixed entries whatever the split: the first signed entry at or after each multiple
 * of `every`. A segment starting at `from` starts at the multiple at or before `from`, unless the
 * segment before already met it (a signed entry between that multiple and `from`).
 */
function firstCheckpointFrom(db: Database.Database, from: number, every: number): number {
  const multiple = Math.floor((from - 1) / every) * every;
  if (multiple === 0) return every;
  const met = db
    .prepare('SELECT 1 FROM entries WHERE entry_seq >= ? AND entry_seq < ? AND sig IS NOT NULL LIMIT 1')
    .get(multiple, from);
  return met ? multiple + every : multiple;
}

/** A file's device and inode, which stay the same whatever it is renamed to, while it exists. */
export function identityOf(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/** The stored hash of entry `seq`, as hex; empty if there is no such entry. */
function hashHexAt(db: Database.Database, seq: number): string {
  return (
    (db.prepare('SELECT lower(hex(hash)) FROM entries WHERE entry_seq = ?').pluck().get(seq) as
      | string
      | undefined) ?? ''
  );
}

/**
 * The worker's program: {@link walkChain} from its own source text, over its own read-only
 * connection to the journal file. An eval'd script rather than a module file, so it runs the same
 * from the sources (through tsx or Vitest) and from a bundle (the CLI's, the kiosk's), none of which
 * would find or load a separate TypeScript worker file.
 */
const WORKER_SOURCE = `
(async () => {
  // CommonJS or ES module, whichever the process runs eval'd code as (node --input-type): a
  // dynamic import works in both, and gives require.
  const { parentPort, workerData } = await import('node:worker_threads');
  const require = (await import('node:module')).createRequire(workerData.sqlite);
  const crypto = require('node:crypto');
  const walkChain = ${walkChain.toString()};
  let db;
  try {
    const Database = require(workerData.sqlite);
    db = new Database(workerData.file, { readonly: true, fileMustExist: true });
    const st = require('node:fs').statSync(workerData.file, { bigint: true });
    if (st.dev + ':' + st.ino !== workerData.identity) {
      throw new Error('the file at ' + workerData.file + ' is not the one being verified: it was replaced');
    }
    // One pass over the file: SQLite's page cache would only hold pages never read again.
    db.pragma('cache_size = -1024');
    const publicKey = crypto.createPublicKey({ key: workerData.publicKey, format: 'der', type: 'spki' });
    const walked = new Int32Array(workerData.walked);
    const walk = walkChain(db, crypto, { ...workerData.segment, publicKey }, (n) => Atomics.store(walked, 0, n));
    parentPort.postMessage({ walk });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  } finally {
    if (db) db.close();
  }
})();
`;

/**
 * Walks a segment in a worker thread. `result` is its walk, or why the worker could not do it
 * (threads unavailable, the file unreadable from a second connection): the caller then walks it
 * itself, and so meets any real error in the file as it would without a worker.
 */
function walkInWorker(
  file: string,
  identity: string,
  segment: ChainSegment,
  publicKey: crypto.KeyObject,
  walked: Int32Array,
): { result: Promise<ChainWalk | string>; stop: () => void } {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        file,
        identity,
        segment,
        publicKey: publicKey.export({ type: 'spki', format: 'der' }),
        walked: walked.buffer,
      },
    });
  } catch (err) {
    return { result: Promise.resolve(`no worker thread: ${(err as Error).message}`), stop: () => {} };
  }
  const result = new Promise<ChainWalk | string>((resolve) => {
    worker.once('message', (m: { walk?: ChainWalk; error?: string }) => resolve(m.walk ?? `${m.error}`));
    worker.once('error', (err) => resolve(`the worker failed: ${err.message}`));
    worker.once('exit', (code) => resolve(`the worker exited with ${code}`));
  });
  return { result, stop: () => void worker.terminate() };
}
