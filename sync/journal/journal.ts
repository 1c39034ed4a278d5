/**
 * The payment journal: one SQLite file per terminal, append-only, hash-chained and signed.
 *
 * Rules of this interface:
 * - Every method is synchronous and runs in one SQLite transaction; when `capture` or `transition`
 *   returns, the entry is committed with journal_mode=WAL and synchronous=FULL, i.e. fsynced. Only
 *   then may a payment be acknowledged to the cashier.
 * - Writers take the database's write lock up front (BEGIN IMMEDIATE) and read the chain head, the
 *   next `seq` and the offline totals inside that lock, so several processes writing the same file
 *   stay correct; one that waits longer than `busyTimeoutMs` fails with `BUSY`.
 * - Nothing read from the file is cached between calls, so a failed call leaves no state behind:
 *   the transaction is rolled back and the error is a {@link JournalError}.
 * - Every entry carries a MAC; the head is signed (Ed25519) within {@link DEFAULT_SIGN_WITHIN_MS}
 *   of being written, and before it is closed or sent to the core to anchor (see signHead). See
 *   entry.ts and verify.ts.
 * - `close()` checkpoints the WAL into the main file; after it every method throws.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Money } from '../protocol/money.ts';
import {
  type EntryKind,
  type EntryMark,
  encodeBody,
  entryHash,
  GENESIS_HASH,
  keepsPaymentCode,
  macInput,
  macMark,
  type PaymentState,
  type StoredEntry,
  SYNC_RESULTS,
  type SyncResultItem,
  type SyncResultsBody,
  TRANSITIONS,
} from './entry.ts';
import { classifyJournalError, JournalError } from './errors.ts';
import { openMarkFile } from './holders.ts';
import { LATEST_VERSION, migrate } from './migrations/index.ts';
import {
  identityOf,
  sqliteProblems,
  type VerifyOptions,
  type VerifyResult,
  verifyJournal,
} from './verify.ts';

export const JOURNAL_FORMAT = 'suanpan-journal/1';

/** How long a write waits for another process's write lock. Long enough for a checkpoint of a busy
 * WAL, short enough that a cashier is told within seconds that something else holds the journal. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * A checkpoint after this many commits, on the event loop after the payment that made it due (see
 * afterCommit). A payment writes about 10 pages, so the WAL stays near 1,000 pages (~4 MiB) and,
 * once it has reached that size, each payment's frames overwrite the file in place: an fsync that
 * needn't grow the file, which on ext4 costs about half that of an append (measured: 40 KiB at
 * 0.22 ms in place, 0.41 ms appended). With 1,000 commits the first 1,000 payments after every
 * start appended (800 of the benchmark's 5,000: its slowest). The WAL-header fsync that follows
 * each checkpoint is taken off the payments too (see restartWal).
 */
export const CHECKPOINT_AFTER_COMMITS = 100;

/**
 * How long the head may wait for its signature. A payment at the counter commits with its entry's
 * MAC and is signed at once when no signature was made in this window; in a rush of payments, one
 * signature covers all of the window's (through the chain), made by the first payment after it or
 * by a timer at its end. The signature is the largest part of a payment's CPU (Ed25519, about
 * 0.05 ms of 0.14 ms here), and the MAC already shows a change to any entry to the terminal's own
 * check; the signature is what proves them to the core and to an auditor with the public key.
 * A batch (a sync's results) and a shift close are signed at once, as is the head before it is
 * anchored at the core, and when the journal is closed or opened after a crash.
 */
export const DEFAULT_SIGN_WITHIN_MS = 250;
/** SQLite's inline auto-checkpoint, kept only as a backstop if event-loop checkpoints can't run (~80 MiB). */
export const WAL_AUTOCHECKPOINT_PAGES = 20_000;

/**
 * Signs entry hashes with the terminal's key. Synchronous: both run inside the write transaction.
 * At most one Ed25519 signature per transaction, not per entry (several state changes recorded at
 * once are signed once), and one per signing window in a rush of payments (see
 * DEFAULT_SIGN_WITHIN_MS); the per-entry MAC keeps tamper localisation exact.
 */
export interface EntrySigner {
  readonly publicKey: crypto.KeyObject;
  /** Ed25519 signature (64 bytes) over a 32-byte entry hash. */
  sign(hash: Buffer): Buffer;
  /**
   * Keyed MAC (HMAC-SHA256, key derived from the private key) over a 32-byte entry hash followed by
   * a byte marking where the entry stands in its transaction (see macInput in entry.ts).
   */
  mac(hash: Buffer): Buffer;
}

export interface JournalOptions {
  file: string;
  terminalId: string;
  signer: EntrySigner;
  /** Clock, for tests. */
  now?: () => Date;
  busyTimeoutMs?: number;
  /** The terminal has a journal on record: a missing file is `MISSING`, never silently recreated. */
  mustExist?: boolean;
  /**
   * `file` is a copy of this journal, made to read it where it can't be opened (its folder on a
   * read-only or full disk, or an older Suanpan keeping it from being upgraded): every write is
   * refused as `READ_ONLY`, naming the journal itself.
   */
  copyOf?: string;
  /** See {@link DEFAULT_SIGN_WITHIN_MS}; 0 signs the last entry of every transaction. */
  signWithinMs?: number;
}

/**
 * When an append signs its entry: `now`, or when `due` (no signature made within the window, see
 * DEFAULT_SIGN_WITHIN_MS), or `no` (not the last entry of its transaction: a later one covers it).
 */
type Signing = 'now' | 'due' | 'no';

export type PaymentStatus = 'captured' | PaymentState;
/** The states in which the payment's money is taken (offline: to be confirmed by the core). */
export const MONEY_TAKEN: ReadonlySet<PaymentStatus> = new Set(['approved', 'accepted_offline', 'settled']);
export type PaymentMode = 'online' | 'offline';

/**
 * A payment moved to a new state by {@link Journal.transitionMany} or {@link Journal.recordResults}:
 * which one, and where it is now.
 */
export interface PaymentMove {
  paymentId: string;
  seq: number;
  status: PaymentStatus;
}

export interface PaymentRecord {
  paymentId: string;
  seq: number;
  amount: Money;
  scheme: string;
  codeMasked: string;
  mode: PaymentMode | null;
  status: PaymentStatus;
  reason: string | null;
  capturedAt: string;
  updatedAt: string;
}

/** What is stored and not yet forwarded, read inside the write lock for the offline policy. */
export interface OfflineStats {
  /** Payments accepted offline and not yet settled or declined by the core. */
  pending: number;
  /** Their amounts, in minor units per currency. */
  totals: Record<string, number>;
  oldestCapturedAt: string | null;
  /** Payments whose outcome is not known yet (online call in flight or timed out). */
  inDoubt: number;
  lastSyncAt: string | null;
  /** When the journal was created: the baseline for "time since last sync" before the first sync. */
  createdAt: string;
  /**
   * Why the core refuses this terminal's payments for good (revoked, a journal it does not
   * recognise), from the sync that found it until one succeeds: none stored now could be forwarded.
   */
  forwardingBlocked: { code: string; message: string; at: string } | null;
}

export interface Decision {
  status: PaymentState;
  mode?: PaymentMode;
  reason?: string;
  /** Extra facts recorded in the entry (e.g. which offline limit refused the payment). */
  details?: Record<string, unknown>;
}

export interface CaptureInput {
  amount: Money;
  scheme: string;
  /** The raw payment code: kept in the payment's row only while the core may still need it. */
  code: string;
  /** Keyed hash of the code: stored in the entry, unique per terminal. */
  codeHash: Buffer;
  codeMasked: string;
  /**
   * (core clock − this terminal's clock) in ms as the terminal knew it at capture; absent when it
   * didn't. Recorded in the `captured` entry: the core judges an offline payment's code by the
   * capture time corrected by it.
   */
  clockOffsetMs?: number;
}

/** A payment as the sync client sends it: its facts, its state, and the raw code while kept. */
export interface StoredPayment extends PaymentRecord {
  /** The keyed hash of the payment code, hex. */
  codeHash: string;
  /** Present only while the core may still need it (accepted offline, or not yet decided). */
  code: string | null;
  /** The clock offset known at capture ({@link CaptureInput.clockOffsetMs}); null: not known. */
  clockOffsetMs: number | null;
}

export interface SyncInfo {
  lastSyncAt: string | null;
  lastAttemptAt: string | null;
  lastError: { code: string; message: string } | null;
  /** The core's highest contiguous seq as last reported. */
  coreContiguousSeq: number;
  /** Every seq up to this one was uploaded or parked (see migration 0006). */
  uploadedThroughSeq: number;
  anchor: { entrySeq: number; hash: string } | null;
  parked: { seq: number; paymentId: string; reason: string; parkedAt: string }[];
}

export interface ShiftReport {
  shiftNo: number;
  entrySeq: number;
  openedAt: string | null;
  closedAt: string;
  payments: number;
  byStatus: Record<string, { count: number; totals: Record<string, number> }>;
  /** The payments whose money was taken ({@link MONEY_TAKEN}), by scheme: what each wallet owes. */
  byScheme: Record<string, { count: number; totals: Record<string, number> }>;
  /**
   * Payments of earlier shifts whose state changed in this one, by the state they moved to: a refund
   * or a void paid out of this shift's till, a payment in doubt found approved, one declined after
   * sync. Absent from reports of shifts closed before it was kept.
   */
  earlier: Record<string, { count: number; totals: Record<string, number> }>;
}

interface PaymentRow {
  payment_id: string;
  seq: number;
  amount_minor: number;
  currency: string;
  scheme: string;
  code_masked: string;
  mode: PaymentMode | null;
  status: PaymentStatus;
  reason: string | null;
  captured_at: string;
  updated_at: string;
}

function toRecord(row: PaymentRow): PaymentRecord {
  return {
    paymentId: row.payment_id,
    seq: row.seq,
    amount: { minor: row.amount_minor, currency: row.currency },
    scheme: row.scheme,
    codeMasked: row.code_masked,
    mode: row.mode,
    status: row.status,
    reason: row.reason,
    capturedAt: row.captured_at,
    updatedAt: row.updated_at,
  };
}

/** The columns of a {@link PaymentRow}: not the code hash (a Buffer per row) nor bookkeeping. */
const PAYMENT_FIELDS = [
  'payment_id',
  'seq',
  'amount_minor',
  'currency',
  'scheme',
  'code_masked',
  'mode',
  'status',
  'reason',
  'captured_at',
  'updated_at',
] as const satisfies readonly (keyof PaymentRow)[];
const PAYMENT_COLUMNS = PAYMENT_FIELDS.join(', ');

/**
 * A payment as the sync client sends it, with its raw code (while kept), as a JSON object that
 * SQLite builds: `SELECT ... json_group_array(STORED_JSON ORDER BY p.seq)` gives a batch as one
 * text, and JSON.parse makes it objects in one call. Read as rows, every value of every column was
 * made a JavaScript value one at a time: 7.8 ms for a batch of 1,000, against 3.6 ms this way (the
 * code hash comes as hex, not as a Buffer per row).
 */
const STORED_JSON = `json_object('paymentId', p.payment_id, 'seq', p.seq,
    'amount', json_object('minor', p.amount_minor, 'currency', p.currency), 'scheme', p.scheme,
    'codeMasked', p.code_masked, 'mode', p.mode, 'status', p.status, 'reason', p.reason,
    'capturedAt', p.captured_at, 'updatedAt', p.updated_at, 'codeHash', lower(hex(p.code_hash)),
    'code', p.code, 'clockOffsetMs', p.clock_offset_ms)`;

/** The payments of `from` (rows of payments, as `p`), in seq order, as {@link StoredPayment}s. */
const storedPaymentsSql = (from: string) =>
  `SELECT json_group_array(${STORED_JSON} ORDER BY p.seq) FROM ${from}`;

const SQL = {
  head: 'SELECT entry_seq, hash FROM entries ORDER BY entry_seq DESC LIMIT 1',
  signedHead: 'SELECT entry_seq, hash, sig FROM entries ORDER BY entry_seq DESC LIMIT 1',
  /** From an entry back (see genuineThrough): each one's hash and MAC, and whether it is signed. */
  entriesBack:
    'SELECT entry_seq, prev_hash, hash, mac, sig FROM entries WHERE entry_seq <= ? ORDER BY entry_seq DESC',
  /** A signature put on an entry made unsigned: the one change migration 0010 lets through. */
  signEntry: 'UPDATE entries SET sig = ? WHERE entry_seq = ? AND sig IS NULL',
  insertEntry:
    'INSERT INTO entries (entry_seq, kind, payment_id, at, body, prev_hash, hash, sig, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  nextSeq: 'SELECT coalesce(max(seq), 0) + 1 AS seq FROM payments',
  codeUsed: 'SELECT seq, status FROM payments WHERE code_hash = ?',
  insertPayment: `INSERT INTO payments (payment_id, seq, amount_minor, currency, scheme, code_hash, code_masked,
      mode, status, reason, captured_at, updated_at, last_entry_seq, clock_offset_ms, code)
    VALUES (@paymentId, @seq, @amountMinor, @currency, @scheme, @codeHash, @codeMasked, @mode, @status, @reason,
      @at, @at, @entrySeq, @clockOffsetMs, @code)`,
  /**
   * The payment found by its seq, the rowid (no walk down the payment_id index); the parameter
   * before it is whether the payment keeps its raw code (see keepsPaymentCode).
   */
  updatePayment: `UPDATE payments SET status = ?, mode = coalesce(?, mode), reason = ?, updated_at = ?,
      last_entry_seq = ?, code = iif(?, code, NULL) WHERE seq = ?`,
  /** {@link SQL.updatePayment} to settled, for the payments at the seqs given as a JSON array. */
  settlePayments: `UPDATE payments SET status = 'settled', reason = NULL, updated_at = ?, last_entry_seq = ?, code = NULL
    WHERE seq IN (SELECT value FROM json_each(?))`,
  payment: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = ?`,
  /** The seq and state of payments by id, the ids as a JSON array: a batch of results is read at once. */
  paymentStatesByIds:
    'SELECT seq, payment_id, status FROM payments WHERE payment_id IN (SELECT value FROM json_each(?))',
  /** The same by seq (the rowid), the seqs as a JSON array. */
  paymentStatesBySeqs:
    'SELECT seq, payment_id, status FROM payments WHERE seq IN (SELECT value FROM json_each(?))',
  code: 'SELECT code FROM payments WHERE payment_id = ?',
  // The offline stats in one row, since each statement run costs more than the lookups in it:
  // counts and per-currency totals from the trigger-kept payment_totals, the last sync, the oldest
  // payment stored.
  stats: `SELECT
      coalesce(sum(count) FILTER (WHERE status = 'accepted_offline'), 0) AS pending,
      coalesce(sum(count) FILTER (WHERE status IN ('unknown', 'captured')), 0) AS in_doubt,
      json_group_object(currency, total_minor) FILTER (WHERE status = 'accepted_offline' AND count > 0)
        AS totals,
      (SELECT last_sync_at FROM sync_state WHERE id = 1) AS last_sync_at,
      (SELECT json_array(blocked_code, blocked_message, blocked_at) FROM sync_state
        WHERE id = 1 AND blocked_code IS NOT NULL) AS blocked,
      (SELECT captured_at FROM payments WHERE status = 'accepted_offline' ORDER BY seq LIMIT 1) AS oldest
    FROM payment_totals`,
  meta: 'SELECT value FROM journal_meta WHERE key = ?',
  /** Read after every online payment (recordCoreReached): prepared once, with the others. */
  lastErrorCode: 'SELECT last_error_code FROM sync_state WHERE id = 1',
  clearLastError:
    'UPDATE sync_state SET last_attempt_at = ?, last_error_code = NULL, last_error_message = NULL WHERE id = 1',
} as const;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

/**
 * SQLite's own check of a journal file this installation has not found whole as it stands: a file
 * new here (a copy, a restored backup, a data folder copied while the terminal ran, the first open
 * after an upgrade), or one put back in place of the journal, whose chain no longer holds the head
 * recorded when it was last found whole or closed. A copy of a running terminal's files, the
 * database and its -wal taken at different moments, mixes pages of two moments: payments were
 * taken on such a copy, with seqs and totals that disagreed with its own payments. `<file>.checked`
 * records the file (device and inode) and its head then; a journal that has only grown since
 * (another process's payments) is not checked again: its cost grows with the file (about 0.4 s
 * for 100,000 payments). It is integrity_check, not quick_check (half the time): pages of two
 * moments can leave an index whose rows are as many as its table's but not the same (a payment
 * filed under its earlier state), which only integrity_check compares. Damage that comes later
 * shows in the operations that meet it, and in `journal verify`.
 */
function checkWholeOnce(db: Database.Database, file: string, identity: string): void {
  const mark = `${file}.checked`;
  let recorded: string[] = [];
  try {
    recorded = fs.readFileSync(mark, 'utf8').trim().split(' ');
  } catch {
    recorded = [];
  }
  const [markedFile, markedSeq, markedHash] = recorded;
  if (markedFile === identity && markedSeq !== undefined && markedHash !== undefined) {
    const seq = Number(markedSeq);
    let hash: string | undefined;
    try {
      hash =
        seq === 0
          ? GENESIS_HASH.toString('hex')
          : (db.prepare('SELECT lower(hex(hash)) FROM entries WHERE entry_seq = ?').pluck().get(seq) as
              | string
              | undefined);
    } catch {
      hash = undefined; // no entries table to read: checked
    }
    if (hash === markedHash) return;
  }
  const problems = sqliteProblems(db, 'integrity_check');
  if (problems.length > 0) {
    throw new JournalError(
      'CORRUPT',
      `The journal ${file} is damaged (SQLite's check: ${problems.join('; ')}). A copy of a terminal's files taken while it was running looks like this; so does a failing disk. No payment is taken on it. Keep the file (with its -wal and -shm files) as it is, restore the terminal's journal from a copy taken while it was stopped, or contact support.`,
      file,
    );
  }
  markWhole(db, file, identity);
}

/**
 * Opens this build's mark beside the journal (see holders.ts) and keeps it open; undefined where
 * it can't be had (a read-only folder, where no upgrade can be written either).
 */
function holdOpenMark(file: string): number | undefined {
  try {
    return fs.openSync(openMarkFile(file, LATEST_VERSION), 'a', 0o600);
  } catch {
    return undefined;
  }
}

/** After an upgrade (no older Suanpan had the journal open): the marks of earlier builds. */
function dropOlderMarks(file: string): void {
  for (let version = 1; version < LATEST_VERSION; version++) {
    try {
      fs.rmSync(openMarkFile(file, version), { force: true });
    } catch {
      // Not ours to remove: harmless, an empty file.
    }
  }
}

/** Records `file` as found whole with its current head (see checkWholeOnce); best effort. */
function markWhole(db: Database.Database, file: string, identity: string): void {
  try {
    const head = db
      .prepare('SELECT entry_seq, lower(hex(hash)) AS hash FROM entries ORDER BY entry_seq DESC LIMIT 1')
      .get() as { entry_seq: number; hash: string } | undefined;
    const line = head
      ? `${identity} ${head.entry_seq} ${head.hash}`
      : `${identity} 0 ${GENESIS_HASH.toString('hex')}`;
    fs.writeFileSync(`${file}.checked`, `${line}\n`, { mode: 0o600 });
  } catch {
    // A read-only folder, a journal not migrated yet: checked again at the next open, no harm done.
  }
}

export class Journal {
  /** The chain head as appended within the current write transaction (read once per transaction). */
  private txHead: { entry_seq: number; hash: Buffer } | undefined;
  /** The head the current write transaction started on, and whether it is {@link trusted}. */
  private txBase: { entrySeq: number; hash: Buffer; trusted: boolean } | undefined;
  /** The entry appended last in the current write transaction ended a (nested) transaction. */
  private txPrevEnded = false;
  private commitsSinceCheckpoint = 0;
  private checkpointPending = false;
  /** performance.now() of this process's last signature (see DEFAULT_SIGN_WITHIN_MS). */
  private lastSignedAt = Number.NEGATIVE_INFINITY;
  /** The head this process appended is waiting for its signature. */
  private signaturePending = false;
  private signTimer: NodeJS.Timeout | undefined;
  /**
   * The latest entry this process knows to be the terminal's, with everything before it: one it
   * appended on such an entry, or one whose MACs it checked back to a signed entry. Only a shortcut:
   * it counts only while the file holds that same hash at that seq.
   */
  private trusted: { entrySeq: number; hash: Buffer } | null = null;
  /** A change found by genuineThrough: nothing is signed over it again by this process. */
  private foreign: { at: number; reason: string } | null = null;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    private readonly stmt: Statements,
    /** `db.transaction(run)`, made once: better-sqlite3 builds four wrappers per call (~20 µs). */
    private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>,
    private readonly signer: EntrySigner,
    private readonly now: () => Date,
    /** Why payments are refused, when WAL or synchronous=FULL could not be set; else null. */
    readonly durabilityProblem: string | null,
    readonly createdAt: string,
    /** The file this journal has open, by device and inode (see VerifyOptions.fileIdentity). */
    private readonly fileIdentity: string | undefined,
    /** The journal `file` is a copy of, for reading only (see JournalOptions.copyOf). */
    readonly copyOf: string | undefined,
    /** The descriptor of this build's open mark (see holdOpenMark), closed with the journal. */
    private readonly mark: number | undefined,
    private readonly signWithinMs: number,
  ) {}

  /**
   * Opens (creating if allowed) the journal, checks that writes will be durable, applies migrations
   * and checks that the journal belongs to this terminal's key.
   */
  static open(options: JournalOptions): Journal {
    const { file, signer } = options;
    const now = options.now ?? (() => new Date());
    const inMemory = file === ':memory:';
    if (!inMemory && !fs.existsSync(file)) {
      if (options.mustExist) {
        throw new JournalError(
          'MISSING',
          `The journal ${file} is missing, but this terminal has recorded payments before. ` +
            'Restore the file (and its -wal file, if any) from where it went; Suanpan will not start a ' +
            'new journal over a lost one.',
          file,
        );
      }
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw classifyJournalError(err, file, 'creating the data folder');
      }
    }
    let db: Database.Database | undefined;
    let mark: number | undefined;
    try {
      if (!inMemory) ownerOnly(file);
      // Held while the journal is open, from before SQLite opens it: an upgrade by another process
      // of this build tells this one from an older Suanpan (see holders.ts).
      if (!inMemory) mark = holdOpenMark(file);
      db = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
      const fileIdentity = inMemory ? undefined : identityOf(file);
      // Reading the schema forces SQLite to read page 1, so "not a database" surfaces here.
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      if (options.mustExist && db.pragma('user_version', { simple: true }) === 0) {
        // An empty file (emptied, or left by a failed copy) where a journal was: migrating it
        // would start a new journal, with seq 1 and every used code forgotten.
        throw new JournalError(
          'MISSING',
          `The journal ${file} is empty, but this terminal has recorded payments in it before. ` +
            "Restore the file (and its -wal file, if any) from the terminal's backup; Suanpan will not " +
            'start a new journal over a lost one.',
          file,
        );
      }
      if (!inMemory && fileIdentity) checkWholeOnce(db, file, fileIdentity);
      const durabilityProblem = inMemory ? 'the journal is in memory, not on disk' : setDurable(db);
      db.pragma('foreign_keys = ON');
      // Freed space (erased payment codes, in their rows) is overwritten with zeros.
      db.pragma('secure_delete = ON');
      const before = db.pragma('user_version', { simple: true }) as number;
      migrate(db, file);
      if (!inMemory && before > 0 && before < LATEST_VERSION) dropOlderMarks(file);
      const createdAt = checkIdentity(db, file, options.terminalId, signer, now);
      const stmt = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, (db as Database.Database).prepare(sql)]),
      ) as Statements;
      const transaction = db.transaction((fn: () => unknown) => fn());
      const journal = new Journal(
        file,
        db,
        stmt,
        transaction,
        signer,
        now,
        durabilityProblem,
        createdAt,
        fileIdentity,
        options.copyOf,
        mark,
        options.signWithinMs ?? DEFAULT_SIGN_WITHIN_MS,
      );
      // A head left unsigned by a process that stopped within its window (a crash, a power cut):
      // signed now, if its entries carry the terminal's MACs.
      if (!options.copyOf) journal.signHeadIfGenuine();
      return journal;
    } catch (err) {
      db?.close();
      if (mark !== undefined) fs.closeSync(mark);
      throw readOnlyFolder(file, err) ?? classifyJournalError(err, file, 'opening the journal');
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /**
   * Records a new payment: gives it a UUID and the next gap-free `seq`, appends its `captured` entry
   * and, when `decide` returns a decision, the decision's entry, all in one transaction. `decide`
   * runs inside the write lock with the current offline totals, so a limit can't be overrun by two
   * writers at once. A code already used on this terminal is refused with `CODE_USED`.
   */
  capture(input: CaptureInput, decide?: (stats: OfflineStats) => Decision | undefined): PaymentRecord {
    this.assertDurable();
    return this.write('recording the payment', () => {
      const now = this.now();
      const at = now.toISOString();
      const used = this.stmt.codeUsed.get(input.codeHash) as
        | { seq: number; status: PaymentStatus }
        | undefined;
      if (used) {
        // Which payment took it: a cashier retrying a declined payment with the same code is told
        // that payment, not only that the code is "used".
        throw new JournalError(
          'CODE_USED',
          `This payment code was already used on this terminal, by payment ${used.seq} (${used.status.replaceAll('_', ' ')}). Payment codes work once, even for a payment declined: ask the customer to refresh the code in their wallet app and scan again.`,
          this.file,
        );
      }
      if (input.clockOffsetMs !== undefined && !Number.isSafeInteger(input.clockOffsetMs))
        throw new TypeError(`a clock offset is a whole number of ms, not ${input.clockOffsetMs}`);
      const { seq } = this.stmt.nextSeq.get() as { seq: number };
      const paymentId = uuidv7(now.getTime());
      const decision = decide?.(this.readStats());
      if (decision) this.assertTransition(paymentId, 'captured', decision.status);
      // A payment decided at once (offline: accepted or declined by the policy) is one entry, the
      // capture carrying its first state: half the hashing, MACs and rows of two entries, and the
      // two facts were always committed together. A payment waiting for the core is captured alone
      // and its decision follows as its own entry (see transition).
      const facts = {
        paymentId,
        seq,
        amount: { minor: input.amount.minor, currency: input.amount.currency },
        scheme: input.scheme,
        codeHash: input.codeHash.toString('hex'),
        codeMasked: input.codeMasked,
        ...(input.clockOffsetMs === undefined ? {} : { clockOffsetMs: input.clockOffsetMs }),
      };
      const entrySeq = this.append(
        'captured',
        paymentId,
        at,
        decision ? { ...facts, status: decision.status, ...decisionFields(decision) } : facts,
        'due',
      );
      const status: PaymentStatus = decision?.status ?? 'captured';
      this.stmt.insertPayment.run({
        paymentId,
        seq,
        amountMinor: input.amount.minor,
        currency: input.amount.currency,
        scheme: input.scheme,
        codeHash: input.codeHash,
        codeMasked: input.codeMasked,
        mode: decision?.mode ?? null,
        status,
        reason: decision?.reason ?? null,
        at,
        entrySeq,
        clockOffsetMs: input.clockOffsetMs ?? null,
        code: keepsPaymentCode(status) ? input.code : null,
      });
      return {
        paymentId,
        seq,
        amount: { minor: input.amount.minor, currency: input.amount.currency },
        scheme: input.scheme,
        codeMasked: input.codeMasked,
        mode: decision?.mode ?? null,
        status,
        reason: decision?.reason ?? null,
        capturedAt: at,
        updatedAt: at,
      };
    });
  }

  /**
   * Moves a payment to its next state (see TRANSITIONS), erasing its raw code when no longer needed.
   * A function is called inside the write lock with the current offline totals (for a payment that
   * falls back to the offline path after the core turned out to be unreachable).
   */
  transition(paymentId: string, decision: Decision | ((stats: OfflineStats) => Decision)): PaymentRecord {
    this.assertDurable();
    return this.write(`recording the state of payment ${paymentId}`, () => {
      const current = this.mustGet(paymentId);
      const decided = typeof decision === 'function' ? decision(this.readStats()) : decision;
      this.applyDecision(current, decided, this.now().toISOString());
      return this.mustGet(paymentId);
    });
  }

  /** Appends a shift-close entry summarising the payments captured since the previous one. */
  closeShift(): ShiftReport {
    this.assertDurable();
    return this.write('closing the shift', () => {
      const closedAt = this.now().toISOString();
      const previous = this.db
        .prepare(
          "SELECT entry_seq, at, body FROM entries WHERE kind = 'shift_closed' ORDER BY entry_seq DESC LIMIT 1",
        )
        .get() as { entry_seq: number; at: string; body: string } | undefined;
      const fromEntrySeq = previous?.entry_seq ?? 0;
      const shiftNo = previous ? (JSON.parse(previous.body) as { shiftNo: number }).shiftNo + 1 : 1;
      const rows = this.db
        .prepare(
          `SELECT p.status, p.scheme, p.currency, count(*) AS n, sum(p.amount_minor) AS total
           FROM payments p JOIN entries e ON e.payment_id = p.payment_id AND e.kind = 'captured'
           WHERE e.entry_seq > ? GROUP BY p.status, p.scheme, p.currency ORDER BY p.status, p.scheme, p.currency`,
        )
        .all(fromEntrySeq) as {
        status: string;
        scheme: string;
        currency: string;
        n: number;
        total: number;
      }[];
      const byStatus: ShiftReport['byStatus'] = {};
      const byScheme: ShiftReport['byScheme'] = {};
      let payments = 0;
      for (const r of rows) {
        payments += r.n;
        // Declined money per scheme would read as money a wallet owes the merchant.
        const groups = [[byStatus, r.status]] as [ShiftReport['byStatus'], string][];
        if (MONEY_TAKEN.has(r.status as PaymentStatus)) groups.push([byScheme, r.scheme]);
        for (const [group, key] of groups) {
          const g = group[key] ?? { count: 0, totals: {} };
          g.count += r.n;
          g.totals[r.currency] = (g.totals[r.currency] ?? 0) + r.total;
          group[key] = g;
        }
      }
      // Each state entry of this shift for a payment captured before it, and each result of a
      // sync_results entry of this shift for one: counted once per state it moved to (a payment
      // refunded after it was found approved counts in both).
      const changed = this.db
        .prepare(
          `SELECT m.status, p.currency, count(*) AS n, sum(p.amount_minor) AS total
           FROM (
             SELECT e.payment_id, e.kind AS status FROM entries e
             WHERE e.entry_seq > $from AND e.payment_id IS NOT NULL AND e.kind <> 'captured'
             UNION ALL
             SELECT r.value ->> 'paymentId', r.value ->> 'status'
             FROM entries e, json_each(e.body, '$.results') r
             WHERE e.entry_seq > $from AND e.kind = '${SYNC_RESULTS}'
           ) m
             JOIN entries c ON c.payment_id = m.payment_id AND c.kind = 'captured'
             JOIN payments p ON p.payment_id = m.payment_id
           WHERE c.entry_seq <= $from
           GROUP BY m.status, p.currency ORDER BY m.status, p.currency`,
        )
        .all({ from: fromEntrySeq }) as { status: string; currency: string; n: number; total: number }[];
      const earlier: ShiftReport['earlier'] = {};
      for (const r of changed) {
        const g = earlier[r.status] ?? { count: 0, totals: {} };
        g.count += r.n;
        g.totals[r.currency] = (g.totals[r.currency] ?? 0) + r.total;
        earlier[r.status] = g;
      }
      const openedAt = previous?.at ?? null;
      const entrySeq = this.append(
        'shift_closed',
        null,
        closedAt,
        {
          shiftNo,
          openedAt,
          closedAt,
          payments,
          byStatus,
          byScheme,
          earlier,
        },
        'now',
      );
      return { shiftNo, entrySeq, openedAt, closedAt, payments, byStatus, byScheme, earlier };
    });
  }

  /** Records a successful sync (and the journal head the core anchored). Not history: sync state. */
  recordSync(at: Date, anchor?: { entrySeq: number; hash: Buffer }): void {
    this.write('recording the sync', () => {
      this.db
        .prepare(
          'UPDATE sync_state SET last_sync_at = ?, anchored_entry_seq = coalesce(?, anchored_entry_seq), anchored_hash = coalesce(?, anchored_hash) WHERE id = 1',
        )
        .run(at.toISOString(), anchor?.entrySeq ?? null, anchor?.hash ?? null);
    });
  }

  /**
   * Several state changes in one transaction (one fsync, one signature on the last entry), an entry
   * each, appended in the order given: how the sync client settles doubts it resolved by query. (A
   * batch of the core's results for payments stored offline is one entry: recordResults.)
   */
  transitionMany(
    changes: { paymentId: string; decision: Decision }[],
    options: { onlyFrom?: PaymentStatus | readonly PaymentStatus[] } = {},
  ): PaymentMove[] {
    if (changes.length === 0) return [];
    this.assertDurable();
    return this.write(`recording ${changes.length} payment states`, () => {
      const at = this.now().toISOString();
      // With `onlyFrom`, a payment another process already moved on is left as it is (two syncs
      // of one terminal recording the same results).
      const from = options.onlyFrom;
      const allowed =
        from === undefined ? null : new Set<PaymentStatus>(typeof from === 'string' ? [from] : from);
      // Every payment of the batch read in one statement, and only what a move needs: each column
      // more is a string more per payment (the whole row made this read a fifth of the recording).
      // A payment named twice moves on from the state its first change leaves it in.
      const current = new Map<string, PaymentMove>();
      for (const m of this.moves(
        this.stmt.paymentStatesByIds,
        changes.map((c) => c.paymentId),
      ))
        current.set(m.paymentId, m);
      const due: { payment: PaymentMove; decision: Decision }[] = [];
      for (const { paymentId, decision } of changes) {
        const payment = current.get(paymentId);
        if (payment === undefined)
          throw new JournalError(
            'NOT_FOUND',
            `No payment ${paymentId} in the journal ${this.file}.`,
            this.file,
          );
        if (allowed !== null && !allowed.has(payment.status)) continue;
        due.push({ payment: { ...payment }, decision });
        payment.status = decision.status;
      }
      return due.map(({ payment, decision }, i) => {
        this.applyDecision(payment, decision, at, i === due.length - 1 ? 'now' : 'no');
        return { paymentId: payment.paymentId, seq: payment.seq, status: decision.status };
      });
    });
  }

  /**
   * The core's results for payments stored offline, in one transaction and one `sync_results` entry
   * (signed at once): how the sync client records a batch of answers. Only payments still
   * accepted_offline move; one already moved on (another sync of this data folder recorded it, or
   * it is named twice) is left as it is, and a batch that moves none appends nothing. Returns the
   * payments moved, in the order given. A payment not at the seq named is NOT_FOUND, and nothing
   * is recorded.
   *
   * One entry for the batch, not one per payment: an entry per result (its hash, MAC, row and
   * index entry) made recording a batch of 1,000 answers 16–20 ms, the terminal's slowest step in a
   * drain; one entry makes it 7–9 ms, and 5–6 ms with the settled payments updated in one
   * statement (measured alone on a journal of 10,000 payments). The chain, the signature and the
   * core's anchor cover the batch's results all the same, and journal verify checks each payment's
   * state against the entry that names it last.
   */
  recordResults(results: readonly SyncResultItem[]): PaymentMove[] {
    if (results.length === 0) return [];
    this.assertDurable();
    return this.write(`recording ${results.length} sync results`, () => {
      const at = this.now().toISOString();
      // Read by seq, the rowid: by payment_id, through its index, this read was a fifth of the
      // recording. Each payment must be at the seq the caller names.
      const current = new Map<number, PaymentMove>();
      for (const m of this.moves(
        this.stmt.paymentStatesBySeqs,
        results.map((c) => c.seq),
      ))
        current.set(m.seq, m);
      const due: SyncResultItem[] = [];
      for (const r of results) {
        const payment = current.get(r.seq);
        if (payment?.paymentId !== r.paymentId)
          throw new JournalError(
            'NOT_FOUND',
            `No payment ${r.paymentId} at seq ${r.seq} in the journal ${this.file}.`,
            this.file,
          );
        if (payment.status !== 'accepted_offline') continue;
        this.assertTransition(r.paymentId, payment.status, r.status);
        payment.status = r.status;
        // The body's members in a fixed order (it is hashed as written): a new object, not the caller's.
        due.push({
          paymentId: r.paymentId,
          seq: r.seq,
          status: r.status,
          ...(r.status === 'declined_after_sync' ? { reason: r.reason ?? 'declined by the core' } : {}),
        });
      }
      if (due.length === 0) return [];
      const body: SyncResultsBody = { results: due };
      const entrySeq = this.append(SYNC_RESULTS, null, at, body as unknown as Record<string, unknown>, 'now');
      // The settled ones in one statement (most of a batch, and all alike): a statement per payment
      // was a fifth of the recording. Declines carry each its own reason.
      const settled: number[] = [];
      for (const d of due) {
        if (d.status === 'settled') settled.push(d.seq);
        else this.stmt.updatePayment.run(d.status, null, d.reason ?? null, at, entrySeq, 0, d.seq);
      }
      if (settled.length > 0) this.stmt.settlePayments.run(at, entrySeq, JSON.stringify(settled));
      return due.map((d) => ({ paymentId: d.paymentId, seq: d.seq, status: d.status }));
    });
  }

  /**
   * Payments with seq > `afterSeq` to send to the core, in seq order: every decided payment (so the
   * core holds every seq), not parked ones, not those still in doubt (resolved first, by query).
   */
  uploadCandidates(afterSeq: number, limit: number): StoredPayment[] {
    return this.read('reading payments to send', () => {
      const json = this.db
        .prepare(
          storedPaymentsSql(`(SELECT * FROM payments q WHERE q.seq > ? AND q.status NOT IN ('captured', 'unknown')
             AND NOT EXISTS (SELECT 1 FROM sync_parked s WHERE s.seq = q.seq)
           ORDER BY q.seq LIMIT ?) p`),
        )
        .pluck()
        .get(afterSeq, limit) as string;
      return JSON.parse(json) as StoredPayment[];
    });
  }

  /**
   * Payments stored offline with seq ≤ `upToSeq` and not parked: the core holds them (its contiguous
   * seq says so) but their result never reached the terminal (an answer lost on the way back).
   */
  awaitingResults(upToSeq: number): StoredPayment[] {
    return this.read('reading payments awaiting results', () => {
      const json = this.db
        .prepare(
          storedPaymentsSql(`payments p WHERE p.status = 'accepted_offline' AND p.seq <= ?
             AND NOT EXISTS (SELECT 1 FROM sync_parked s WHERE s.seq = p.seq)`),
        )
        .pluck()
        .get(upToSeq) as string;
      return JSON.parse(json) as StoredPayment[];
    });
  }

  /** How many payments `uploadCandidates(afterSeq, ∞)` would return (for progress). */
  countUploadCandidates(afterSeq: number): number {
    return this.read('counting payments to send', () => {
      const row = this.db
        .prepare(
          `SELECT count(*) AS n FROM payments p WHERE p.seq > ? AND p.status NOT IN ('captured', 'unknown')
             AND NOT EXISTS (SELECT 1 FROM sync_parked s WHERE s.seq = p.seq)`,
        )
        .get(afterSeq) as { n: number };
      return row.n;
    });
  }

  /** A payment with its facts and (while kept) its raw code. */
  storedPayment(paymentId: string): StoredPayment | undefined {
    return this.read('reading a payment', () => {
      const json = this.db
        .prepare(`SELECT ${STORED_JSON} FROM payments p WHERE p.payment_id = ?`)
        .pluck()
        .get(paymentId) as string | undefined;
      return json === undefined ? undefined : (JSON.parse(json) as StoredPayment);
    });
  }

  /** Payments whose outcome is not known: captured without a decision (a crash mid-call) or unknown. */
  inDoubt(): StoredPayment[] {
    return this.read('reading payments in doubt', () => {
      const json = this.db
        .prepare(
          storedPaymentsSql(`payments p WHERE p.status IN ('captured', 'unknown')
             AND NOT EXISTS (SELECT 1 FROM sync_parked k WHERE k.seq = p.seq)`),
        )
        .pluck()
        .get() as string;
      return JSON.parse(json) as StoredPayment[];
    });
  }

  /** Sets a payment aside from sync for good (a conflict, a request the core can't accept), with why. */
  park(seq: number, reason: string): void {
    this.write(`parking payment ${seq}`, () => {
      this.db
        .prepare(
          'INSERT INTO sync_parked (seq, reason, parked_at) VALUES (?, ?, ?) ON CONFLICT (seq) DO UPDATE SET reason = excluded.reason',
        )
        .run(seq, reason, this.now().toISOString());
    });
  }

  /**
   * The core answered (an online payment): a last attempt recorded as "not reached" is out of date.
   * Only such an error is cleared, and nothing else (the last sync, a block); writes nothing otherwise.
   */
  recordCoreReached(offlineCodes: ReadonlySet<string>): void {
    const stale = (this.stmt.lastErrorCode.get() as { last_error_code: string | null }).last_error_code;
    if (stale === null || !offlineCodes.has(stale)) return;
    this.write('recording that the core answered', () => {
      this.stmt.clearLastError.run(this.now().toISOString());
    });
  }

  /** Puts every parked payment back in line for the next sync; returns how many there were. */
  unpark(): number {
    return this.write('unparking payments', () => this.db.prepare('DELETE FROM sync_parked').run().changes);
  }

  /**
   * Records a sync attempt: its error (or success), and what the core reported. An error that
   * `blocksForwarding` is kept as the block (OfflineStats.forwardingBlocked) until a success clears it.
   */
  recordSyncAttempt(attempt: {
    error: { code: string; message: string } | null;
    blocksForwarding?: boolean;
    coreContiguousSeq?: number;
    /** Every seq up to here was uploaded or parked; the mark only moves forward. */
    uploadedThroughSeq?: number;
    anchor?: { entrySeq: number; hash: string } | null;
  }): void {
    const at = this.now().toISOString();
    this.write('recording the sync attempt', () => {
      this.db
        .prepare(
          `UPDATE sync_state SET last_attempt_at = @at,
             last_sync_at = CASE WHEN @failed THEN last_sync_at ELSE @at END,
             last_error_code = @code, last_error_message = @message,
             blocked_code = CASE WHEN NOT @failed THEN NULL WHEN @blocks THEN @code ELSE blocked_code END,
             blocked_message = CASE WHEN NOT @failed THEN NULL WHEN @blocks THEN @message ELSE blocked_message END,
             blocked_at = CASE WHEN NOT @failed THEN NULL WHEN @blocks THEN coalesce(blocked_at, @at) ELSE blocked_at END,
             core_contiguous_seq = coalesce(@contiguous, core_contiguous_seq),
             uploaded_through_seq = max(uploaded_through_seq, coalesce(@uploaded, 0)),
             anchored_entry_seq = coalesce(@anchorSeq, anchored_entry_seq),
             anchored_hash = coalesce(@anchorHash, anchored_hash)
           WHERE id = 1`,
        )
        .run({
          at,
          failed: attempt.error ? 1 : 0,
          blocks: attempt.error && attempt.blocksForwarding ? 1 : 0,
          code: attempt.error?.code ?? null,
          message: attempt.error?.message ?? null,
          contiguous: attempt.coreContiguousSeq ?? null,
          uploaded: attempt.uploadedThroughSeq ?? null,
          anchorSeq: attempt.anchor?.entrySeq ?? null,
          anchorHash: attempt.anchor ? Buffer.from(attempt.anchor.hash, 'hex') : null,
        });
    });
  }

  syncInfo(): SyncInfo {
    return this.read('reading the sync state', () => {
      const s = this.db.prepare('SELECT * FROM sync_state WHERE id = 1').get() as {
        last_sync_at: string | null;
        last_attempt_at: string | null;
        last_error_code: string | null;
        last_error_message: string | null;
        core_contiguous_seq: number;
        uploaded_through_seq: number;
        anchored_entry_seq: number | null;
        anchored_hash: Buffer | null;
      };
      const parked = this.db
        .prepare(
          'SELECT s.seq, p.payment_id, s.reason, s.parked_at FROM sync_parked s JOIN payments p USING (seq) ORDER BY s.seq',
        )
        .all() as { seq: number; payment_id: string; reason: string; parked_at: string }[];
      return {
        lastSyncAt: s.last_sync_at,
        lastAttemptAt: s.last_attempt_at,
        lastError: s.last_error_code
          ? { code: s.last_error_code, message: s.last_error_message ?? '' }
          : null,
        coreContiguousSeq: s.core_contiguous_seq,
        uploadedThroughSeq: s.uploaded_through_seq,
        anchor:
          s.anchored_entry_seq && s.anchored_hash
            ? { entrySeq: s.anchored_entry_seq, hash: s.anchored_hash.toString('hex') }
            : null,
        parked: parked.map((r) => ({
          seq: r.seq,
          paymentId: r.payment_id,
          reason: r.reason,
          parkedAt: r.parked_at,
        })),
      };
    });
  }

  /** The hash of entry `entrySeq`, or null if the journal has no such entry. */
  entryHashAt(entrySeq: number): string | null {
    return this.read('reading an entry', () => {
      const row = this.db.prepare('SELECT hash FROM entries WHERE entry_seq = ?').get(entrySeq) as
        | { hash: Buffer }
        | undefined;
      return row ? row.hash.toString('hex') : null;
    });
  }

  /**
   * The head with its signature, for anchoring at the core: signed first if it waits for its
   * signature. One this terminal won't sign (changed without its key, see signHead) goes unsigned,
   * and {@link unsignedHeadProblem} says why: the core flags a journal parted from the head it
   * anchored, and refuses an unsigned head.
   */
  signedHead(): { entrySeq: number; hash: string; signature: string | null } {
    const read = () =>
      this.stmt.signedHead.get() as { entry_seq: number; hash: Buffer; sig: Buffer | null } | undefined;
    if (this.copyOf === undefined) {
      const head = this.read('reading the journal head', read);
      if (head && !head.sig) {
        try {
          this.signHead();
        } catch (err) {
          if (!(err instanceof JournalError) || err.code !== 'CORRUPT') throw err;
        }
      }
    }
    return this.read('reading the journal head', () => {
      const row = read();
      return row
        ? {
            entrySeq: row.entry_seq,
            hash: row.hash.toString('hex'),
            signature: row.sig?.toString('base64') ?? null,
          }
        : { entrySeq: 0, hash: GENESIS_HASH.toString('hex'), signature: null };
    });
  }

  /**
   * Runs `fn` in one write transaction: every capture or transition inside it commits together, with
   * one fsync. For bulk work (imports, seeding a benchmark), never for payments at the counter, where
   * each payment must be committed on its own before it is acknowledged. Each capture inside is
   * marked as a transaction of its own (see macInput), so a cut between two of them reads as whole
   * transactions cut off, which only the core's anchor shows.
   */
  bulk<T>(fn: () => T): T {
    this.assertDurable();
    return this.write('writing a batch', fn);
  }

  /** Offline totals now (outside a write; for display). */
  offlineStats(): OfflineStats {
    return this.read('reading the offline totals', () => this.readStats());
  }

  payment(paymentId: string): PaymentRecord | undefined {
    return this.read('reading a payment', () => {
      const row = this.stmt.payment.get(paymentId) as PaymentRow | undefined;
      return row && toRecord(row);
    });
  }

  /** The raw code of a payment still waiting to be forwarded, or undefined once erased. */
  paymentCode(paymentId: string): string | undefined {
    return this.read('reading a payment code', () => {
      const row = this.stmt.code.get(paymentId) as { code: string | null } | undefined;
      return row?.code ?? undefined;
    });
  }

  /** The latest payments first. */
  payments(filter: { status?: PaymentStatus; limit?: number } = {}): PaymentRecord[] {
    return this.read('listing payments', () => {
      const limit = filter.limit ?? 50;
      const rows = (
        filter.status
          ? this.db
              .prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE status = ? ORDER BY seq DESC LIMIT ?`)
              .all(filter.status, limit)
          : this.db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments ORDER BY seq DESC LIMIT ?`).all(limit)
      ) as PaymentRow[];
      return rows.map(toRecord);
    });
  }

  /** The highest payment seq in this journal (0 when it has none). */
  highestSeq(): number {
    return this.read('reading the last seq', () => (this.stmt.nextSeq.get() as { seq: number }).seq - 1);
  }

  /** The chain head: last entry's seq and hash (entrySeq 0 and the genesis hash when empty). */
  head(): { entrySeq: number; hash: Buffer } {
    return this.read('reading the journal head', () => {
      const row = this.stmt.head.get() as { entry_seq: number; hash: Buffer } | undefined;
      return { entrySeq: row?.entry_seq ?? 0, hash: row?.hash ?? GENESIS_HASH };
    });
  }

  /** Every entry in chain order, streamed (constant memory). Don't write to the journal while iterating. */
  *entries(fromEntrySeq = 1): Generator<StoredEntry> {
    const stmt = this.db.prepare(
      'SELECT entry_seq, kind, payment_id, at, body, prev_hash, hash, sig, mac FROM entries WHERE entry_seq >= ? ORDER BY entry_seq',
    );
    try {
      for (const r of stmt.iterate(fromEntrySeq) as IterableIterator<{
        entry_seq: number;
        kind: EntryKind;
        payment_id: string | null;
        at: string;
        body: string;
        prev_hash: Buffer;
        hash: Buffer;
        sig: Buffer | null;
        mac: Buffer;
      }>) {
        yield {
          entrySeq: r.entry_seq,
          kind: r.kind,
          paymentId: r.payment_id,
          at: r.at,
          body: r.body,
          prevHash: r.prev_hash,
          hash: r.hash,
          sig: r.sig,
          mac: r.mac,
        };
      }
    } catch (err) {
      throw classifyJournalError(err, this.file, 'reading entries');
    }
  }

  /**
   * Checks the chain, the signatures (at checkpoints, or all) and the payments table. See verify.ts.
   * It checks the entries up to the head as it was when it started. While it waits for its worker
   * thread (large journals), other work on this journal may run: payments go on being taken, and
   * what they append is left to the next verify; closing the journal meanwhile makes it fail. A head
   * this process wrote and has not signed yet is signed first (see signHead). Its check of the
   * payments writes a temporary table on this connection, so it can't run while an iteration of
   * {@link entries} is still open here.
   */
  async verify(options: VerifyOptions): Promise<VerifyResult> {
    if (this.signaturePending) this.signHeadIfGenuine();
    try {
      return await verifyJournal(this.db, { fileIdentity: this.fileIdentity, ...options });
    } catch (err) {
      throw classifyJournalError(err, this.file, 'verifying the journal');
    }
  }

  /**
   * Copies committed WAL pages into the main file now (see afterCommit); `close` does it too. When
   * every page was copied, the WAL is started over at once (see restartWal).
   */
  checkpoint(): void {
    const [result] = this.read('checkpointing', () => this.db.pragma('wal_checkpoint(PASSIVE)')) as {
      log: number;
      checkpointed: number;
    }[];
    this.commitsSinceCheckpoint = 0;
    if (result && result.log > 0 && result.checkpointed === result.log) this.restartWal();
  }

  close(): void {
    if (!this.db.open) return;
    if (this.signaturePending) this.signHeadIfGenuine();
    clearTimeout(this.signTimer);
    this.signTimer = undefined;
    // The head it closes at: a file put back in its place (a restored backup) no longer holds it.
    if (this.fileIdentity) markWhole(this.db, this.file, this.fileIdentity);
    this.db.close();
    if (this.mark !== undefined) fs.closeSync(this.mark);
  }

  // -- internals --------------------------------------------------------------------------------

  private assertDurable(): void {
    if (this.durabilityProblem) {
      throw new JournalError(
        'NOT_DURABLE',
        `Payments are refused: the journal ${this.file} cannot guarantee that a payment survives a power ` +
          `cut (${this.durabilityProblem}). Put the data folder on a local disk that supports it.`,
        this.file,
      );
    }
  }

  private write<T>(what: string, fn: () => T): T {
    if (this.copyOf !== undefined) {
      throw new JournalError(
        'READ_ONLY',
        `Nothing can be recorded while ${what}: the journal ${this.copyOf} could only be read, from a copy, because it can't be opened in place (a read-only or full disk, or an older Suanpan keeping it from being upgraded). Deal with that, then try again.`,
        this.copyOf,
      );
    }
    let result: T;
    const outermost = !this.db.inTransaction;
    const { trusted, signaturePending } = this;
    try {
      result = this.transaction.immediate(fn) as T;
    } catch (err) {
      // Whatever was appended in the failed (part of the) transaction is gone: forget its head.
      this.txHead = undefined;
      this.txBase = undefined;
      this.trusted = trusted;
      this.signaturePending = signaturePending;
      throw classifyJournalError(err, this.file, what);
    } finally {
      if (outermost) {
        this.txHead = undefined;
        this.txBase = undefined;
      }
    }
    if (outermost) {
      this.afterCommit();
      if (this.signaturePending) this.signSoon();
    }
    return result;
  }

  /**
   * Whether the chain through entry `entrySeq` (hash `hash`), a transaction's last, is the
   * terminal's: walked back, each entry linked to the one before (seq and hash), carrying the
   * terminal's MAC, each transaction whole (an entry starts one exactly when the one before ended
   * one, by their MACs' marks, see macInput), back to an entry whose signature is valid, to one this
   * process knows ({@link trusted}), or to the start. A signature is put only on such a chain:
   * someone without the key who changed, moved or cut entries not yet signed must not have that
   * signed over. A change found is kept in {@link foreign}, and nothing is signed over it again by
   * this process (another finds it again by the same walk; `journal verify` names the entry). Walked
   * once, then kept up by the entries this process appends.
   */
  private genuineThrough(entrySeq: number, hash: Buffer): boolean {
    if (this.foreign) return false;
    const known = this.trusted;
    const fail = (at: number, reason: string) => {
      this.foreign = { at, reason };
      return false;
    };
    if (known && known.entrySeq > entrySeq)
      return fail(entrySeq + 1, `entries from ${entrySeq + 1} that this terminal wrote are gone`);
    if (known?.entrySeq === entrySeq && known.hash.equals(hash)) return true;
    if (entrySeq === 0) return known ? fail(1, 'entries this terminal wrote are gone') : true;
    let expectedSeq = entrySeq;
    let expected = hash;
    // Whether the entry above the one being looked at starts a transaction (the top one ends one).
    let aboveStarts: boolean | null = null;
    for (const row of this.stmt.entriesBack.iterate(entrySeq) as IterableIterator<{
      entry_seq: number;
      prev_hash: Buffer;
      hash: Buffer;
      mac: Buffer;
      sig: Buffer | null;
    }>) {
      if (row.entry_seq !== expectedSeq || !row.hash.equals(expected))
        return fail(expectedSeq, `entry ${expectedSeq} is not the one entry ${expectedSeq + 1} follows`);
      const isKnown = known?.entrySeq === row.entry_seq;
      if (isKnown && !known.hash.equals(row.hash))
        return fail(row.entry_seq, `entry ${row.entry_seq} that this terminal wrote was replaced`);
      const mark = macMark(this.signer.mac, row);
      if (mark === null)
        return fail(row.entry_seq, `entry ${row.entry_seq} does not carry this terminal's MAC`);
      const signed =
        row.sig !== null &&
        row.sig.length === 64 &&
        crypto.verify(null, row.hash, this.signer.publicKey, row.sig);
      // Entries of older builds (legacy MACs) end a transaction exactly when they are signed.
      const ends = mark === 'legacy' ? signed : mark.ends;
      if (aboveStarts === null ? !ends : aboveStarts !== ends)
        return fail(
          row.entry_seq + 1,
          `the rest of the transaction of entry ${row.entry_seq} was cut off (before entry ${row.entry_seq + 1})`,
        );
      if (isKnown || signed) {
        this.trusted = { entrySeq, hash };
        return true;
      }
      aboveStarts = mark === 'legacy' ? false : mark.starts;
      expected = row.prev_hash;
      expectedSeq -= 1;
    }
    if (expectedSeq > 0) return fail(expectedSeq, `entry ${expectedSeq} is missing`);
    if (!expected.equals(GENESIS_HASH)) return fail(1, 'entry 1 does not start the chain');
    if (aboveStarts === false) return fail(1, 'entry 1 does not start a transaction');
    this.trusted = { entrySeq, hash };
    return true;
  }

  /** Signs the head at the end of the window, unless something signs it before (see signHead). */
  private signSoon(): void {
    if (this.signTimer) return;
    this.signTimer = setTimeout(() => {
      this.signTimer = undefined;
      this.signHeadIfGenuine();
    }, this.signWithinMs);
    this.signTimer.unref();
  }

  /**
   * Signs the head if it isn't: the last entry, written unsigned within the window (see
   * DEFAULT_SIGN_WITHIN_MS), gets its signature in place. Migration 0010 lets that one change
   * through the entries' append-only triggers; the signature is not part of any hash. Throws
   * `CORRUPT` when the chain is not the terminal's (see genuineThrough): entries not yet signed were
   * changed, moved or cut by someone without the key, and are not signed over.
   */
  signHead(): void {
    this.write('signing the journal head', () => {
      const head = this.stmt.signedHead.get() as
        | { entry_seq: number; hash: Buffer; sig: Buffer | null }
        | undefined;
      this.signaturePending = false;
      if (!head || head.sig) return;
      if (!this.genuineThrough(head.entry_seq, head.hash)) throw this.unsignedHeadProblem();
      this.stmt.signEntry.run(this.signer.sign(head.hash), head.entry_seq);
      this.lastSignedAt = performance.now();
    });
  }

  /** Why the head is not signed, when this terminal refused to sign it (see genuineThrough). */
  unsignedHeadProblem(): JournalError | null {
    return this.foreign
      ? new JournalError(
          'CORRUPT',
          `The journal ${this.file} was changed by someone without this terminal's key (${this.foreign.reason}), so its head is not signed and the core can't anchor it. Run \`suanpan journal verify\`, which names the first entry changed, and keep the file for investigation.`,
          this.file,
        )
      : null;
  }

  /**
   * {@link signHead} as housekeeping (a timer, opening, closing, verifying): it takes the write lock
   * only for a head that needs it, never waits for another process's (a timer tries again at the
   * end of another window), and whatever stops it leaves the head for later.
   */
  signHeadIfGenuine(): void {
    if (!this.db.open || this.copyOf !== undefined) return;
    let timeout: number | undefined;
    try {
      const head = this.stmt.signedHead.get() as { sig: Buffer | null } | undefined;
      if (!head || head.sig) {
        this.signaturePending = false;
        return;
      }
      timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
      this.db.pragma('busy_timeout = 0');
      this.signHead();
    } catch (err) {
      // Busy, a full disk, or entries changed without the key: the head stays as it is, its entries
      // keep their MACs, and the next write, close, open or sync tries again (a sync says why not).
      if (err instanceof JournalError && err.code === 'BUSY' && this.db.open) this.signSoon();
    } finally {
      if (timeout !== undefined && this.db.open) this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /**
   * Copies the WAL into the main file every {@link CHECKPOINT_AFTER_COMMITS} commits, on the next turn
   * of the event loop: after the payment that made it due has been acknowledged, never inside it.
   * (SQLite's own auto-checkpoint would run inside the commit and add a second fsync of the main
   * file to that payment; it stays on only as a backstop, see WAL_AUTOCHECKPOINT_PAGES.)
   */
  private afterCommit(): void {
    this.commitsSinceCheckpoint += 1;
    if (this.commitsSinceCheckpoint < CHECKPOINT_AFTER_COMMITS || this.checkpointPending) return;
    this.checkpointPending = true;
    setImmediate(() => {
      this.checkpointPending = false;
      if (!this.db.open) return;
      try {
        this.checkpoint();
      } catch {
        // A checkpoint that can't run now (another reader, a full disk) is retried after later
        // commits; the data is safe in the WAL meanwhile.
      }
    });
  }

  /**
   * After a complete checkpoint, SQLite starts the WAL over at the next commit, which writes a new
   * WAL header and fsyncs it before its own frames (wal.c, sqlite3WalFrames: `if( iFrame==0 )` ...
   * `syncHeader`): two fsyncs in that commit. This commit of nothing (user_version rewritten with
   * its own value: one page, no change) takes the restart here, off every payment. It doesn't wait
   * for another process's write lock: then that process's commit restarts the WAL instead.
   */
  private restartWal(): void {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.transaction.immediate(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        this.db.pragma(`user_version = ${version}`);
      });
    } catch (err) {
      if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY'))
        throw classifyJournalError(err, this.file, 'restarting the WAL');
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  private read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw classifyJournalError(err, this.file, what);
    }
  }

  private readStats(): OfflineStats {
    const row = this.stmt.stats.get() as {
      pending: number;
      in_doubt: number;
      totals: string;
      last_sync_at: string | null;
      oldest: string | null;
      blocked: string | null;
    };
    const blocked = row.blocked ? (JSON.parse(row.blocked) as [string, string, string]) : null;
    return {
      pending: row.pending,
      totals: JSON.parse(row.totals) as Record<string, number>,
      oldestCapturedAt: row.pending > 0 ? row.oldest : null,
      inDoubt: row.in_doubt,
      lastSyncAt: row.last_sync_at,
      createdAt: this.createdAt,
      forwardingBlocked: blocked ? { code: blocked[0], message: blocked[1], at: blocked[2] } : null,
    };
  }

  private assertTransition(paymentId: string, from: PaymentStatus, to: PaymentState): void {
    if (!TRANSITIONS[from].includes(to)) {
      throw new JournalError(
        'ILLEGAL_TRANSITION',
        `Payment ${paymentId} is ${from}; it cannot become ${to}.`,
        this.file,
      );
    }
  }

  /** Appends the decision's entry and updates the payment. */
  private applyDecision(
    payment: PaymentMove,
    decision: Decision,
    at: string,
    signing: Signing = 'due',
  ): void {
    const { paymentId } = payment;
    this.assertTransition(paymentId, payment.status, decision.status);
    const entrySeq = this.append(
      decision.status,
      paymentId,
      at,
      decisionBody(payment.status, decision),
      signing,
    );
    this.stmt.updatePayment.run(
      decision.status,
      decision.mode ?? null,
      decision.reason ?? null,
      at,
      entrySeq,
      keepsPaymentCode(decision.status) ? 1 : 0,
      payment.seq,
    );
  }

  /**
   * Appends one entry after the current head; must run inside a write transaction. The last entry of
   * a transaction (`signing` not `no`) is signed `now` or when `due` (see DEFAULT_SIGN_WITHIN_MS),
   * only on a chain that is the terminal's (see genuineThrough), and its MAC marks it as the end of
   * its transaction (see macInput).
   */
  private append(
    kind: EntryKind,
    paymentId: string | null,
    at: string,
    body: Record<string, unknown>,
    signing: Signing,
  ): number {
    const fromFile = this.txHead === undefined;
    const head = this.txHead ?? (this.stmt.head.get() as { entry_seq: number; hash: Buffer } | undefined);
    const prevSeq = head?.entry_seq ?? 0;
    const entrySeq = prevSeq + 1;
    const prevHash = head?.hash ?? GENESIS_HASH;
    if (fromFile) {
      const known = this.trusted;
      this.txBase = {
        entrySeq: prevSeq,
        hash: prevHash,
        // An empty journal is the start only to a process that wrote none of it.
        trusted: prevSeq === 0 ? known === null : known?.entrySeq === prevSeq && known.hash.equals(prevHash),
      };
    }
    const mark: EntryMark = { starts: fromFile || this.txPrevEnded, ends: signing !== 'no' };
    this.txPrevEnded = mark.ends;
    const base = this.txBase as NonNullable<typeof this.txBase>;
    const text = encodeBody(body);
    const hash = entryHash(prevHash, entrySeq, kind, paymentId, at, text);
    const wanted =
      signing === 'now' || (signing === 'due' && performance.now() - this.lastSignedAt >= this.signWithinMs);
    // The transaction's own entries are this process's: the chain is the terminal's if its base is.
    if (wanted && !base.trusted) base.trusted = this.genuineThrough(base.entrySeq, base.hash);
    const sig = wanted && base.trusted ? this.signer.sign(hash) : null;
    if (sig) this.lastSignedAt = performance.now();
    if (signing !== 'no') this.signaturePending = sig === null;
    if (base.trusted) this.trusted = { entrySeq, hash };
    this.txHead = { entry_seq: entrySeq, hash };
    this.stmt.insertEntry.run(
      entrySeq,
      kind,
      paymentId,
      at,
      text,
      prevHash,
      hash,
      sig,
      this.signer.mac(macInput(hash, mark)),
    );
    return entrySeq;
  }

  /** The seq, id and state of the payments `keys` name (ids or seqs, as `statement` reads them). */
  private moves(statement: Database.Statement, keys: readonly (string | number)[]): PaymentMove[] {
    return (
      statement.all(JSON.stringify(keys)) as { seq: number; payment_id: string; status: PaymentStatus }[]
    ).map((r) => ({ paymentId: r.payment_id, seq: r.seq, status: r.status }));
  }

  private mustGet(paymentId: string): PaymentRecord {
    const row = this.stmt.payment.get(paymentId) as PaymentRow | undefined;
    if (!row)
      throw new JournalError('NOT_FOUND', `No payment ${paymentId} in the journal ${this.file}.`, this.file);
    return toRecord(row);
  }
}

/** Sets WAL and synchronous=FULL and reads both back. Returns why not durable, or null. */
export function setDurable(db: Database.Database): string | null {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  const sync = db.pragma('synchronous', { simple: true });
  if (mode !== 'wal') return `journal_mode is ${String(mode)}, not wal`;
  if (sync !== 2) return `synchronous is ${String(sync)}, not 2 (FULL)`;
  return null;
}

/** Records the journal's owner on creation; afterwards refuses a journal of another terminal or key. */
function checkIdentity(
  db: Database.Database,
  file: string,
  terminalId: string,
  signer: EntrySigner,
  now: () => Date,
): string {
  const publicKey = signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const get = (key: string) =>
    (db.prepare('SELECT value FROM journal_meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  const format = get('format');
  if (format === undefined) {
    const createdAt = now().toISOString();
    const insert = db.prepare('INSERT INTO journal_meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      insert.run('format', JOURNAL_FORMAT);
      insert.run('terminal_id', terminalId);
      insert.run('public_key', publicKey);
      insert.run('created_at', createdAt);
      insert.run('schema_version_at_creation', String(LATEST_VERSION));
    }).immediate();
    return createdAt;
  }
  if (format !== JOURNAL_FORMAT) {
    throw new JournalError(
      'CORRUPT',
      `The file ${file} is not a Suanpan journal (format "${format}").`,
      file,
    );
  }
  const owner = get('terminal_id');
  if (owner !== terminalId || get('public_key') !== publicKey) {
    throw new JournalError(
      'WRONG_KEY',
      `The journal ${file} belongs to terminal ${owner}, but this data folder's key is terminal ${terminalId}. ` +
        'Put back the key the journal was written with (keys/terminal.key); the journal is unchanged.',
      file,
    );
  }
  return get('created_at') ?? now().toISOString();
}

function decisionBody(from: PaymentStatus, decision: Decision): Record<string, unknown> {
  return { from, ...decisionFields(decision) };
}

function decisionFields(decision: Decision): Record<string, unknown> {
  return { mode: decision.mode, reason: decision.reason, ...decision.details };
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time-ordered ids append at
 * the end of the indexes on payment_id instead of landing on a random page, which keeps each
 * payment's commit small. The random bits are those of a v4 UUID (`randomUUID` draws from a
 * buffered CSPRNG pool; `randomBytes(16)` asks the CSPRNG for every id and cost ~5× more); its
 * variant bits are already RFC 9562's, and its version digit is replaced by 7.
 */
export function uuidv7(unixMs: number): string {
  const time = unixMs.toString(16).padStart(12, '0');
  const random = crypto.randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * The journal holds raw payment codes until their payments settle: its file is readable by its
 * owner only, whatever the folder's or the umask's defaults. A new file is created 0600 before
 * SQLite opens it (SQLite gives its -wal and -shm files the journal's own mode); an existing one,
 * and its -wal and -shm, made by an earlier version with wider modes, are narrowed.
 */
function ownerOnly(file: string): void {
  try {
    fs.closeSync(
      fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600),
    );
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // The -wal and -shm take the journal's mode when SQLite makes them: a journal made read-only and
  // opened once leaves them read-only after the journal is made writable again, and every write
  // then fails. They follow the journal's owner bits (only ever towards writable, never stricter).
  const journalMode = fs.statSync(file).mode;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    const mode = fs.statSync(f, { throwIfNoEntry: false })?.mode;
    if (mode === undefined) continue;
    let wanted = mode & 0o700;
    if (f !== file) wanted |= journalMode & 0o600;
    if (wanted !== (mode & 0o777)) {
      try {
        fs.chmodSync(f, wanted);
      } catch {
        // Not this user's file, or a read-only disk: opening it says what is wrong, if anything.
      }
    }
  }
}

/** When the journal can't be opened because its folder is on a read-only disk, says so plainly. */
function readOnlyFolder(file: string, err: unknown): JournalError | undefined {
  const code = (err as { code?: string }).code ?? '';
  const cannotOpen =
    code === 'SQLITE_CANTOPEN' ||
    code.startsWith('SQLITE_READONLY') ||
    ['EROFS', 'EACCES', 'EPERM'].includes(code);
  if (inMemoryName(file) || !cannotOpen) return undefined;
  const dir = path.dirname(file);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch (probe) {
    const why = (probe as NodeJS.ErrnoException).code;
    return new JournalError(
      'READ_ONLY',
      `The data folder ${dir} is ${why === 'EROFS' ? 'on a read-only disk' : 'not writable by this user'} (${why}), so the journal ${file} can't be opened and no payment can be recorded. Nothing recorded is lost: ${why === 'EROFS' ? 'make the disk writable again (remount it, check the disk for errors)' : 'run Suanpan as the user who owns the folder'}.`,
      file,
      { cause: err },
    );
  }
}

function inMemoryName(file: string): boolean {
  return file === ':memory:';
}
