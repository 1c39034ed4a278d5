/**
 * The reference payment core's operations, over its database. The HTTP server (server.ts) and the
 * `suanpan core` commands call these; nothing here knows about HTTP.
 *
 * Exactly once: every new payment of a terminal is written in a transaction that first locks
 * that terminal's row, then relies on the unique keys (terminal_id, payment_id) and
 * (terminal_id, seq). A retry, a duplicate or a late copy of a request finds the payment there and
 * gets the outcome it got the first time; other facts under the same paymentId or seq are a
 * conflict, never an overwrite. A change to a payment the core holds (cancel, refund, a wallet
 * paying an order) is made under that payment's row lock and only from the state it was judged in.
 * Locks are taken in a fixed order (terminal, then payment, then wallets by id; codes by code) so
 * two core processes can't deadlock for long (and a deadlock is retried, db.ts).
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Money } from '../protocol/money.ts';
import type {
  ActivateRequest,
  ActivateResponse,
  AuthoriseRequest,
  AuthoriseResponse,
  CancelRequest,
  CancelResponse,
  Conflict,
  CorePaymentState,
  HeldPaymentState,
  OrderRequest,
  OrderResponse,
  PaymentFacts,
  PaymentResult,
  QueryResponse,
  RefundRequest,
  RefundResponse,
  ResultsResponse,
  SyncStateResponse,
  UploadedPayment,
  UploadRequest,
  UploadResponse,
} from '../protocol/wire.ts';
import { ORDER_QR_PREFIX, ORDER_VALID_S } from '../protocol/wire.ts';
import { type CoreDb, prepared, type Queryable } from './db.ts';
import { CoreError, conflict, notFound, unauthenticated } from './errors.ts';
import { LockTurns } from './turns.ts';
import {
  type CodeRow,
  judge,
  judgeFunds,
  WALLET_DAY_ZONE,
  type WalletRow,
  walletCode,
  walletDay,
} from './wallet-codes.ts';

/** A technician has a day to enter an activation code. */
export const DEFAULT_ACTIVATION_TTL_MS = 24 * 3_600_000;
/** How long a wallet may pay a merchant-presented QR order (the protocol's, see wire.ts). */
export { ORDER_VALID_S } from '../protocol/wire.ts';
/** Nonces are kept a little longer than a request stays fresh (±300 s). */
export const NONCE_RETENTION_S = 900;
/**
 * When a table's statistics are stale: more rows changed since its last analysis than 50 and a
 * tenth of its rows (autovacuum's defaults, autovacuum_analyze_threshold and _scale_factor).
 */
export const STALE_STATISTICS = { rows: 50, fraction: 0.1 };
const ACTIVATION_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface TerminalRow {
  terminal_id: string;
  merchant_id: string;
  public_key: Buffer;
  status: 'active' | 'revoked';
  clock_offset_ms: number;
}

/** A request whose signature checked out, to be admitted by its nonce (see {@link CoreService.admit}). */
export interface Admission {
  terminalId: string;
  nonce: string;
  /** The core's clock minus the terminal's own, as this request shows it. */
  clockOffsetMs: number;
}

/**
 * How far the recorded last-seen time and clock offset may lag what a request shows before
 * {@link CoreService.admit} records them again: a second, well within what they are used for (the
 * operator's "last seen"; a capture time corrected by the offset, judged against a code's 60 s).
 */
export const SEEN_TOLERANCE_MS = 1_000;

/**
 * Admission in SQL, as CTEs over $1 terminal id, $2 nonce, $3 clock offset (ms): `n` takes the nonce
 * once, and only for an active terminal (a row: fresh); `seen` then records the terminal seen and
 * its clock offset, locking its row. Shared by {@link CoreService.admit} and the online payment's
 * first statement, so the two can't drift apart.
 *
 * `always` records it (the online payment's transaction takes the terminal's lock so). `when-stale`
 * only when the record is {@link SEEN_TOLERANCE_MS} old or its offset that far off: the update waits
 * for the row's lock, and a terminal's next upload, sent while the one before holds that lock, was
 * admitted only once the one before had committed, so it could not read its codes meanwhile (see
 * uploadInTransaction). PostgreSQL tests the condition on the row as the statement sees it, without
 * the lock, and locks (waits) only when it holds; an upload records the terminal seen at its commit
 * (ADVANCE_CONTIGUOUS, in writeBatch), so a drain's batches keep the record fresh. (PGlite runs one
 * transaction at a time: there every statement waits for the one in progress anyway.)
 */
const admission = (refresh: 'always' | 'when-stale') => `n AS (
     INSERT INTO request_nonces (terminal_id, nonce)
     SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM terminals WHERE terminal_id = $1 AND status = 'active')
     ON CONFLICT DO NOTHING RETURNING 1),
   seen AS (
     UPDATE terminals SET last_seen_at = now(), clock_offset_ms = $3
     WHERE terminal_id = $1 AND EXISTS (SELECT 1 FROM n)${
       refresh === 'always'
         ? ''
         : ` AND (last_seen_at IS NULL OR last_seen_at < now() - interval '${SEEN_TOLERANCE_MS} milliseconds'
             OR abs(clock_offset_ms - $3) > ${SEEN_TOLERANCE_MS})`
     } RETURNING terminal_id)`;

/**
 * The terminal an admission let in, or the 401 that refuses the request: unknown, then revoked,
 * then replayed (its nonce was taken).
 */
export function admittedTerminal(
  terminalId: string,
  admitted: { terminal: TerminalRow; fresh: boolean } | undefined,
): TerminalRow {
  if (!admitted) {
    throw unauthenticated('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not activated at this core.`);
  }
  const { terminal, fresh } = admitted;
  if (terminal.status === 'revoked') {
    throw unauthenticated(
      'TERMINAL_REVOKED',
      `Terminal ${terminal.terminal_id} has been revoked by the operator.`,
    );
  }
  if (!fresh) {
    throw unauthenticated(
      'REPLAYED_REQUEST',
      'This request was seen before (its nonce is used): it was not applied again.',
    );
  }
  return terminal;
}

interface PaymentRow {
  payment_id: string;
  seq: number;
  amount_minor: number;
  currency: string;
  scheme: string;
  code_hash: Buffer;
  captured_at: Date;
  state: HeldPaymentState;
  reason: string | null;
  mode: 'online' | 'offline';
  received_at: Date;
  /** Set on an order only: a wallet can't pay it after this. */
  expires_at: Date | null;
  /** The wallet code the payment used up; null when it used none (unknown, used already, a record). */
  wallet_code: string | null;
}

export interface CorePayment {
  terminalId: string;
  paymentId: string;
  seq: number;
  amount: Money;
  scheme: string;
  mode: 'online' | 'offline';
  state: HeldPaymentState;
  reason: string | null;
  capturedAt: string;
  receivedAt: string;
}

/** A terminal as the operator sees it (`suanpan core terminals`). */
export interface CoreTerminal {
  terminalId: string;
  merchantId: string;
  merchantName: string;
  status: 'active' | 'revoked';
  activatedAt: string;
  revokedAt: string | null;
  /** As the terminal reported it at activation or at its last sync. */
  softwareVersion: string | null;
  lastSeenAt: string | null;
  /** Stored payments the terminal said it had to send, at its last sync. */
  queueDepth: number;
  /** The core holds every payment of the terminal up to this seq. */
  highestContiguousSeq: number;
  clockOffsetMs: number;
  /** The journal head anchored last: the terminal's journal must still hold it unchanged. */
  anchor: { entrySeq: number; hash: string; anchoredAt: string } | null;
  /**
   * Why the core found the terminal's journal diverged from the heads it anchored (a restored or
   * altered copy), the last time it did; null if it never did. The schema keeps no time for it.
   */
  integrityAlert: string | null;
}

/** A wallet's payment of an order, as its provider's backend is answered. */
export interface PayOrderResponse {
  paymentId: string;
  outcome: 'approved';
  amount: Money;
}

export interface CoreServiceOptions {
  db: CoreDb;
  log: Logger;
  now?: () => Date;
}

const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest();

export function publicKeyFromBase64(spki: string): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
}

export function terminalIdOfKey(der: Buffer): string {
  return `sp-${sha256(der).toString('hex').slice(0, 16)}`;
}

/** A payment's facts as a request presents them, with the raw code when it carries one. */
type PresentedFacts = PaymentFacts & { code?: string };

/**
 * The code differs: by its hash, or, where the core kept the code the payment used and the request
 * carries one, by the code itself (the hash is the terminal's to compute, so it alone can't tell).
 */
function codeDiffers(row: PaymentRow, p: PresentedFacts): boolean {
  if (row.code_hash.toString('hex') !== p.codeHash) return true;
  return row.wallet_code !== null && p.code !== undefined && p.code !== row.wallet_code;
}

/** Same payment: the facts that identify it match (the state may differ: that is its history). */
function sameFacts(row: PaymentRow, p: PresentedFacts): boolean {
  return (
    row.seq === p.seq &&
    row.amount_minor === p.amount.minor &&
    row.currency === p.amount.currency &&
    row.scheme === p.scheme &&
    !codeDiffers(row, p) &&
    row.captured_at.getTime() === Date.parse(p.capturedAt)
  );
}

function differences(row: PaymentRow, p: PresentedFacts): string {
  const out: string[] = [];
  if (row.seq !== p.seq) out.push(`seq ${row.seq} ≠ ${p.seq}`);
  if (row.amount_minor !== p.amount.minor || row.currency !== p.amount.currency) {
    out.push(`amount ${row.amount_minor} ${row.currency} ≠ ${p.amount.minor} ${p.amount.currency}`);
  }
  if (codeDiffers(row, p)) out.push('payment code differs');
  if (row.scheme !== p.scheme) out.push(`scheme ${row.scheme} ≠ ${p.scheme}`);
  if (row.captured_at.getTime() !== Date.parse(p.capturedAt)) out.push('capture time differs');
  return out.join(', ');
}

const PAYMENT_COLUMNS =
  'payment_id, seq, amount_minor, currency, scheme, code_hash, captured_at, state, reason, mode, received_at, expires_at';

export class CoreService {
  private readonly keys = new Map<string, crypto.KeyObject>();
  private readonly turns = new LockTurns();

  constructor(private readonly options: CoreServiceOptions) {}

  private get db(): CoreDb {
    return this.options.db;
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  // --- operator -------------------------------------------------------------------------------

  async createMerchant(name: string): Promise<{ merchantId: string }> {
    const merchantId = crypto.randomUUID();
    await this.db.query('INSERT INTO merchants (merchant_id, name) VALUES ($1, $2)', [merchantId, name]);
    return { merchantId };
  }

  async createActivationCode(
    merchantId: string,
    ttlMs = DEFAULT_ACTIVATION_TTL_MS,
  ): Promise<{ code: string; expiresAt: string }> {
    const merchant = await this.db.query('SELECT 1 FROM merchants WHERE merchant_id = $1', [merchantId]);
    if (merchant.rowCount === 0) throw notFound(`No merchant ${merchantId}.`);
    const chars = Array.from(
      crypto.randomBytes(12),
      (b) => ACTIVATION_ALPHABET[b % ACTIVATION_ALPHABET.length],
    ).join('');
    const code = `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
    const expiresAt = new Date(this.now().getTime() + ttlMs);
    await this.db.query(
      'INSERT INTO activation_codes (code_hash, merchant_id, expires_at) VALUES ($1, $2, $3)',
      [sha256(code), merchantId, expiresAt],
    );
    return { code, expiresAt: expiresAt.toISOString() };
  }

  /** A demo wallet, funded from outside the system (a funding entry pair in the ledger). */
  async createWallet(balance: Money): Promise<{ walletId: string }> {
    const walletId = crypto.randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO wallets (wallet_id, secret, currency, balance_minor) VALUES ($1, $2, $3, $4)',
        [walletId, crypto.randomBytes(32), balance.currency, balance.minor],
      );
      if (balance.minor > 0) {
        await tx.query(
          `INSERT INTO ledger_entries (account, amount_minor, currency, kind)
           VALUES ($1, $2, $3, 'funding'), ('funding', $4, $3, 'funding')`,
          [`wallet:${walletId}`, balance.minor, balance.currency, -balance.minor],
        );
      }
    });
    return { walletId };
  }

  /** A fresh single-use payment code for a wallet. */
  async issueWalletCode(walletId: string): Promise<{ code: string; issuedAt: string; expiresAt: string }> {
    return this.db.transaction(async (tx) => {
      for (;;) {
        const w = await tx.query<{ secret: Buffer; codes_issued: number }>(
          'UPDATE wallets SET codes_issued = codes_issued + 1 WHERE wallet_id = $1 RETURNING secret, codes_issued',
          [walletId],
        );
        const row = w.rows[0];
        if (!row) throw notFound(`No wallet ${walletId}.`);
        const code = walletCode(Buffer.from(row.secret), row.codes_issued);
        const issuedAt = this.now();
        const inserted = await tx.query(
          'INSERT INTO wallet_codes (code, wallet_id, issued_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [code, walletId, issuedAt],
        );
        // 10^16 codes: a collision with an earlier one is rare; take the next counter if it happens.
        if (inserted.rowCount === 1) {
          return {
            code,
            issuedAt: issuedAt.toISOString(),
            expiresAt: new Date(issuedAt.getTime() + 60_000).toISOString(),
          };
        }
      }
    });
  }

  async wallet(walletId: string): Promise<{ walletId: string; balance: Money }> {
    const r = await this.db.query<{ balance_minor: number; currency: string }>(
      'SELECT balance_minor, currency FROM wallets WHERE wallet_id = $1',
      [walletId],
    );
    const row = r.rows[0];
    if (!row) throw notFound(`No wallet ${walletId}.`);
    return { walletId, balance: { minor: row.balance_minor, currency: row.currency } };
  }

  async payments(filter: { terminalId?: string; limit?: number } = {}): Promise<CorePayment[]> {
    const r = await this.db.query<Omit<PaymentRow, 'wallet_code'> & { terminal_id: string }>(
      `SELECT terminal_id, ${PAYMENT_COLUMNS} FROM payments
       WHERE ($1::text IS NULL OR terminal_id = $1) ORDER BY received_at DESC, seq DESC LIMIT $2`,
      [filter.terminalId ?? null, filter.limit ?? 100],
    );
    return r.rows.map((p) => ({
      terminalId: p.terminal_id,
      paymentId: p.payment_id,
      seq: p.seq,
      amount: { minor: p.amount_minor, currency: p.currency },
      scheme: p.scheme,
      mode: p.mode,
      state: p.state,
      reason: p.reason,
      capturedAt: p.captured_at.toISOString(),
      receivedAt: p.received_at.toISOString(),
    }));
  }

  async revokeTerminal(terminalId: string): Promise<{ terminalId: string; status: 'revoked' }> {
    const r = await this.db.query(
      "UPDATE terminals SET status = 'revoked', revoked_at = now() WHERE terminal_id = $1",
      [terminalId],
    );
    if (r.rowCount === 0) throw notFound(`No terminal ${terminalId}.`);
    return { terminalId, status: 'revoked' };
  }

  /**
   * The terminals the core knows, in the order they were activated, each with its latest anchored
   * journal head and any integrity alert; only `terminalId` with it given (an unknown one: none).
   */
  async terminals(filter: { terminalId?: string } = {}): Promise<CoreTerminal[]> {
    const r = await this.db.query<{
      terminal_id: string;
      merchant_id: string;
      merchant_name: string;
      status: 'active' | 'revoked';
      activated_at: Date;
      revoked_at: Date | null;
      software_version: string | null;
      last_seen_at: Date | null;
      queue_depth: number;
      highest_contiguous_seq: number;
      clock_offset_ms: number;
      integrity_alert: string | null;
      anchor_seq: number | null;
      anchor_hash: Uint8Array | null;
      anchored_at: Date | null;
    }>(
      `SELECT t.terminal_id, t.merchant_id, m.name AS merchant_name, t.status, t.activated_at, t.revoked_at,
              t.software_version, t.last_seen_at, t.queue_depth, t.highest_contiguous_seq, t.clock_offset_ms,
              t.integrity_alert, a.entry_seq AS anchor_seq, a.hash AS anchor_hash, a.anchored_at
       FROM terminals t JOIN merchants m ON m.merchant_id = t.merchant_id
       LEFT JOIN LATERAL (
         SELECT entry_seq, hash, anchored_at FROM terminal_anchors
         WHERE terminal_id = t.terminal_id ORDER BY entry_seq DESC LIMIT 1
       ) a ON true
       WHERE ($1::text IS NULL OR t.terminal_id = $1)
       ORDER BY t.activated_at, t.terminal_id`,
      [filter.terminalId ?? null],
    );
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return r.rows.map((t) => ({
      terminalId: t.terminal_id,
      merchantId: t.merchant_id,
      merchantName: t.merchant_name,
      status: t.status,
      activatedAt: t.activated_at.toISOString(),
      revokedAt: iso(t.revoked_at),
      softwareVersion: t.software_version,
      lastSeenAt: iso(t.last_seen_at),
      queueDepth: t.queue_depth,
      highestContiguousSeq: t.highest_contiguous_seq,
      clockOffsetMs: t.clock_offset_ms,
      anchor:
        t.anchor_seq === null || t.anchor_hash === null || t.anchored_at === null
          ? null
          : {
              entrySeq: t.anchor_seq,
              hash: Buffer.from(t.anchor_hash).toString('hex'),
              anchoredAt: t.anchored_at.toISOString(),
            },
      integrityAlert: t.integrity_alert,
    }));
  }

  /**
   * Ledger sums: zero overall when the books balance; wallets equal their entries. One statement, so
   * one snapshot (a payment committed between two would show as a mismatch), and one pass over the
   * ledger: a sum per account, joined to the wallets (a sum per wallet read the whole ledger once
   * for each wallet).
   */
  async ledgerCheck(): Promise<{ total: number; walletsMismatched: number }> {
    const r = await this.db.query<{ total: number; mismatched: number }>(
      `WITH sums AS (SELECT account, sum(amount_minor) AS s FROM ledger_entries GROUP BY account)
       SELECT (SELECT coalesce(sum(s), 0) FROM sums)::bigint AS total,
              (SELECT count(*) FROM wallets w LEFT JOIN sums ON sums.account = 'wallet:' || w.wallet_id
                WHERE w.balance_minor <> coalesce(sums.s, 0))::bigint AS mismatched`,
    );
    return { total: r.rows[0]?.total ?? 0, walletsMismatched: r.rows[0]?.mismatched ?? 0 };
  }

  // --- terminals: activation and authentication --------------------------------------------------

  /**
   * Binds a terminal's key to the merchant of a one-time activation code. The caller has checked
   * that the request is signed by that key.
   *
   * A terminal the core knows may be activated again only while active and for its own merchant
   * (it lost its activation record): a code must not lift the operator's revocation (the key may be
   * compromised), nor move a terminal to another merchant (the payments it captured for the first
   * would be uploaded and credited to the second). A refused attempt leaves the code unused.
   *
   * Idempotent for the terminal that used the code: one whose answer was lost on the way (a
   * timeout, a dropped connection) sends the same code again and gets the same answer, while it is
   * still active for that merchant; nothing is changed. Any other terminal finds the code used.
   */
  async activate(req: ActivateRequest): Promise<ActivateResponse> {
    const der = Buffer.from(req.publicKey, 'base64');
    if (terminalIdOfKey(der) !== req.terminalId) {
      throw new CoreError(400, 'BAD_REQUEST', 'terminalId is not derived from publicKey', 'terminalId');
    }
    return this.db.transaction(async (tx) => {
      // Activations of one terminal one at a time: two at once (two codes entered on two screens)
      // both found no row to lock, and the second insert could fail on the key's unique index
      // (only terminal_id is the ON CONFLICT arbiter) with a 500 instead of being refused.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [req.terminalId]);
      // Refused before the code is judged: a technician with a revoked terminal learns why at once,
      // not after fetching a new code that would be refused too.
      const known = await knownTerminal(tx, req.terminalId);
      if (known?.status === 'revoked') throw terminalRevoked(known);
      const code = await tx.query<{
        merchant_id: string;
        expires_at: Date;
        used_at: Date | null;
        used_by: string | null;
      }>(
        'SELECT merchant_id, expires_at, used_at, used_by FROM activation_codes WHERE code_hash = $1 FOR UPDATE',
        [sha256(req.code)],
      );
      const row = code.rows[0];
      if (!row)
        throw unauthenticated(
          'ACTIVATION_CODE_INVALID',
          'This activation code is not known to the core: check it and try again.',
        );
      if (row.used_at) {
        // The terminal id is derived from the key that signed this request: the same id is the
        // same terminal, not another one presenting the code.
        if (
          row.used_by === req.terminalId &&
          known?.status === 'active' &&
          known.merchant_id === row.merchant_id
        ) {
          return {
            terminalId: req.terminalId,
            merchantId: row.merchant_id,
            merchantName: known.merchant_name,
          };
        }
        throw unauthenticated(
          'ACTIVATION_CODE_USED',
          `This activation code was already used (at ${row.used_at.toISOString()}): activation codes work once. Ask the operator for a new one.`,
        );
      }
      if (row.expires_at.getTime() < this.now().getTime()) {
        throw unauthenticated(
          'ACTIVATION_CODE_EXPIRED',
          `This activation code expired at ${row.expires_at.toISOString()}. Ask the operator for a new one.`,
        );
      }
      const refused = known && reactivationRefused(known, row.merchant_id);
      if (refused) throw refused;
      await tx.query('UPDATE activation_codes SET used_at = now(), used_by = $2 WHERE code_hash = $1', [
        sha256(req.code),
        req.terminalId,
      ]);
      // Only an active terminal of the same merchant is updated; the guard also holds against an
      // activation of the same new terminal committed meanwhile (no row was there to lock above).
      const bound = await tx.query(
        `INSERT INTO terminals (terminal_id, merchant_id, public_key, status, software_version, activated_at)
         VALUES ($1, $2, $3, 'active', $4, now())
         ON CONFLICT (terminal_id) DO UPDATE SET software_version = excluded.software_version, activated_at = now()
           WHERE terminals.status = 'active' AND terminals.merchant_id = excluded.merchant_id
         RETURNING terminal_id`,
        [req.terminalId, row.merchant_id, der, req.softwareVersion],
      );
      if (bound.rows.length === 0) {
        const current = await knownTerminal(tx, req.terminalId);
        throw (
          (current && reactivationRefused(current, row.merchant_id)) ??
          conflict(`Terminal ${req.terminalId} could not be activated: it changed meanwhile. Try again.`)
        );
      }
      const merchant = await tx.query<{ name: string }>('SELECT name FROM merchants WHERE merchant_id = $1', [
        row.merchant_id,
      ]);
      this.options.log.info(
        { terminalId: req.terminalId, merchantId: row.merchant_id },
        'terminal activated',
      );
      return {
        terminalId: req.terminalId,
        merchantId: row.merchant_id,
        merchantName: merchant.rows[0]?.name ?? '',
      };
    });
  }

  /**
   * A terminal's public key. Cached for good: the terminal id is derived from the key, so the key
   * under an id never changes (status does, and is read fresh by `admit` on every request).
   */
  async terminalKey(terminalId: string): Promise<crypto.KeyObject | undefined> {
    const cached = this.keys.get(terminalId);
    if (cached) return cached;
    const r = await this.db.query<{ public_key: Buffer }>(
      'SELECT public_key FROM terminals WHERE terminal_id = $1',
      [terminalId],
    );
    const row = r.rows[0];
    return row ? this.keyOf({ terminal_id: terminalId, public_key: row.public_key }) : undefined;
  }

  /**
   * The key of a terminal as admitted, from the cache {@link terminalKey} fills (it is in there for
   * a request whose signature was checked), else from the row's DER, cached too. No query: it is
   * called inside a transaction. Made from the DER at every upload, it took about 0.7 ms of the
   * core's time a batch (a profile of the bench's drain).
   */
  private keyOf(t: Pick<TerminalRow, 'terminal_id' | 'public_key'>): crypto.KeyObject {
    const cached = this.keys.get(t.terminal_id);
    if (cached) return cached;
    const key = crypto.createPublicKey({ key: Buffer.from(t.public_key), format: 'der', type: 'spki' });
    this.keys.set(t.terminal_id, key);
    return key;
  }

  /**
   * After its signature checked out: accepts a request's nonce once (a replay finds it taken),
   * records when the terminal was seen and how far its own clock is from the core's, and returns
   * the terminal as it stands (status, merchant). One statement, atomic across core processes;
   * committed without waiting for its WAL flush (see CoreDb.queryRelaxed).
   */
  async admit(
    terminalId: string,
    nonce: string,
    clockOffsetMs: number,
  ): Promise<{ terminal: TerminalRow; fresh: boolean } | undefined> {
    const r = await this.db.queryRelaxed<TerminalRow & { fresh: boolean }>(
      `WITH ${admission('when-stale')}
       SELECT terminal_id, merchant_id, public_key, status, $3::bigint AS clock_offset_ms, EXISTS (SELECT 1 FROM n) AS fresh
       FROM terminals WHERE terminal_id = $1`,
      [terminalId, nonce, Math.round(clockOffsetMs)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const { fresh, ...terminal } = row;
    return { terminal, fresh };
  }

  async forgetOldNonces(): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM request_nonces WHERE seen_at < now() - make_interval(secs => $1)`,
      [NONCE_RETENTION_S],
    );
    return r.rowCount;
  }

  /**
   * Analyses the core's tables whose rows changed by more than {@link STALE_STATISTICS} since
   * their last analysis, as autovacuum's analyze would; returns the tables analysed. PGlite runs no
   * autovacuum, nor does a PostgreSQL server with it turned off, and without statistics a cached
   * plan made while a terminal had a few payments stays in use when it has thousands: the probes
   * of a payment by id or by seq read the index on the terminal alone and filter every payment it
   * ever made (an online payment took 100 ms at 100,000). An analysis makes every cached plan on
   * its table be made again, from statistics that tell the two unique keys apart. Where autovacuum
   * runs, it has usually analysed the tables first and this finds nothing to do.
   */
  async refreshStatistics(): Promise<string[]> {
    // This connection's own counts, not yet reported, are counted too (PostgreSQL 15 and later;
    // before, a connection reports its counts within a second or so of its last write anyway).
    await this.db.query('SELECT pg_stat_force_next_flush()').catch(() => {});
    const r = await this.db.query<{ name: string }>(
      `SELECT format('%I.%I', s.schemaname, s.relname) AS name
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
       WHERE s.schemaname = ANY (current_schemas(false))
         AND s.n_mod_since_analyze > $1 + $2 * greatest(c.reltuples, 0)
       ORDER BY s.relname`,
      [STALE_STATISTICS.rows, STALE_STATISTICS.fraction],
    );
    const names = r.rows.map((row) => row.name);
    if (names.length > 0) await this.db.query(`ANALYZE ${names.join(', ')}`);
    return names;
  }

  // --- online payments ---------------------------------------------------------------------------

  /**
   * An online payment by code. Its request is admitted in the payment's own transaction, by the
   * statement that locks the terminal and reads the payment, the code and its wallet (one round
   * trip where there were three: an online payment waits on each). A refused admission writes
   * nothing; a request refused after its admission (a conflict) still uses up its nonce, recorded
   * after the rollback, so a replay of it is refused as any other.
   */
  async authorise(admission: Admission, req: AuthoriseRequest): Promise<AuthoriseResponse> {
    let admitted = false;
    try {
      return await this.flaggingDivergence(admission.terminalId, () =>
        this.db.transaction(async (tx) => {
          admitted = false;
          const { terminal: t, existing, code, wallet } = await admitAndLockForAuthorise(tx, admission, req);
          admitted = true;
          const mine = heldAs(existing, req);
          if (mine) {
            if (mine.expires_at)
              throw conflict(
                `Payment ${req.paymentId} is a QR order: the customer's wallet pays it, not a code.`,
              );
            const approved = mine.state === 'approved' || mine.state === 'settled';
            return {
              paymentId: req.paymentId,
              outcome: approved ? 'approved' : 'declined',
              ...(approved ? {} : { reason: mine.reason ?? mine.state }),
              duplicate: true,
            };
          }
          const verdict = judge(
            { amountMinor: req.amount.minor, currency: req.amount.currency },
            code,
            wallet,
            wallet?.balance_minor ?? 0,
            this.now().getTime(),
            false,
          );
          const state = verdict.ok ? 'approved' : 'declined';
          await recordOnlinePayment(tx, t, {
            facts: req,
            state,
            reason: verdict.ok ? null : verdict.reason,
            walletId: code?.wallet_id ?? null,
            // The code is used up by this payment, approved or not (wallet practice).
            walletCode: code && !code.used ? code.code : null,
          });
          return {
            paymentId: req.paymentId,
            outcome: state,
            ...(verdict.ok ? {} : { reason: verdict.reason }),
            duplicate: false,
          };
        }),
      );
    } catch (err) {
      if (admitted) {
        // Best effort: the answer to the request is the error, whatever this finds.
        await this.admit(admission.terminalId, admission.nonce, admission.clockOffsetMs).catch(() => {});
      }
      throw err;
    }
  }

  async query(t: TerminalRow, paymentId: string): Promise<QueryResponse> {
    const row = await heldState(this.db, t.terminal_id, paymentId);
    if (!row) return { paymentId, state: 'not_found' };
    return { paymentId, state: row.state, ...(row.reason ? { reason: row.reason } : {}) };
  }

  /**
   * After a timeout the terminal cancels: a payment the core never saw is refused for good (a late
   * copy of the authorisation then finds it cancelled); one approved today is reversed.
   */
  async cancel(t: TerminalRow, paymentId: string, req: CancelRequest): Promise<CancelResponse> {
    const facts: PaymentFacts = { ...req, paymentId };
    return this.flaggingDivergence(t.terminal_id, () => this.cancelInTransaction(t, facts));
  }

  private cancelInTransaction(t: TerminalRow, facts: PaymentFacts): Promise<CancelResponse> {
    const { paymentId } = facts;
    return this.db.transaction(async (tx) => {
      const mine = await lockPayment(tx, t, facts);
      if (!mine) {
        const reason = 'cancelled: no answer reached the terminal in time';
        await recordOnlinePayment(tx, t, {
          facts,
          state: 'cancelled',
          reason,
          walletId: null,
          walletCode: null,
        });
        return { paymentId, outcome: 'cancelled', state: 'cancelled', reason };
      }
      // `mine` was read under the terminal's lock but not the payment row's: a wallet paying the
      // order, or a refund, locks only that row, so it may have changed it since. Each change
      // below is made under the row's lock and only from the state judged; when it finds another
      // state, the payment is read again as it now stands.
      let held: { state: HeldPaymentState; reason: string | null } = mine;
      if (held.state === 'pending') {
        const reason = 'cancelled before the customer paid';
        const flipped = await tx.query(
          `UPDATE payments SET state = 'cancelled', reason = $3
           WHERE terminal_id = $1 AND payment_id = $2 AND state = 'pending'`,
          [t.terminal_id, paymentId, reason],
        );
        if (flipped.rowCount === 1) return { paymentId, outcome: 'cancelled', state: 'cancelled', reason };
        // A wallet paid it meanwhile: reversed below, as any payment approved today.
        held = (await heldState(tx, t.terminal_id, paymentId)) ?? held;
      }
      if (held.state === 'declined' || held.state === 'cancelled') {
        return {
          paymentId,
          outcome: 'cancelled',
          state: held.state,
          ...(held.reason ? { reason: held.reason } : {}),
        };
      }
      // Approved online, or stored offline and settled here: reversible the day the core took it.
      const sameDay = walletDay(mine.received_at) === walletDay(this.now());
      if ((held.state !== 'approved' && held.state !== 'settled') || !sameDay) {
        return {
          paymentId,
          outcome: 'too_late',
          state: afterCancel(held.state),
          reason: `a payment can be cancelled only on the day the core took it (${WALLET_DAY_ZONE}); refund it instead`,
        };
      }
      const reason = mine.expires_at
        ? 'cancelled and reversed: the order was cancelled after the customer paid'
        : held.state === 'settled'
          ? 'cancelled and reversed at the terminal, the day it was settled'
          : 'cancelled and reversed: no answer reached the terminal in time';
      const flipped = await tx.query<{ wallet_id: string }>(
        `UPDATE payments SET state = 'cancelled', reason = $3
         WHERE terminal_id = $1 AND payment_id = $2 AND state = $4 RETURNING wallet_id`,
        [t.terminal_id, paymentId, reason, held.state],
      );
      const walletId = flipped.rows[0]?.wallet_id;
      if (!walletId) {
        const row = (await heldState(tx, t.terminal_id, paymentId)) ?? held;
        return {
          paymentId,
          outcome: row.state === 'cancelled' ? 'cancelled' : 'too_late',
          state: afterCancel(row.state),
          ...(row.reason ? { reason: row.reason } : {}),
        };
      }
      await moveMoney(tx, t, {
        paymentId,
        walletId,
        amount: { minor: mine.amount_minor, currency: mine.currency },
        kind: 'reversal',
      });
      return { paymentId, outcome: 'cancelled', state: 'cancelled', reason };
    });
  }

  /**
   * A whole payment of this terminal refunded to the wallet it came from. The payment's row is
   * locked first, so a cancel or another refund at the same moment waits, then finds it refunded.
   * A payment stored offline and not uploaded yet is not found: the terminal syncs first.
   */
  async refund(t: TerminalRow, paymentId: string, req: RefundRequest): Promise<RefundResponse> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query<{
        terminal_id: string;
        merchant_id: string;
        state: HeldPaymentState;
        amount_minor: number;
        currency: string;
        wallet_id: string | null;
      }>(
        `SELECT terminal_id, merchant_id, state, amount_minor, currency, wallet_id FROM payments
         WHERE terminal_id = $1 AND payment_id = $2 FOR UPDATE`,
        [t.terminal_id, paymentId],
      );
      const p = r.rows[0];
      if (!p) {
        throw notFound(
          `The core has no payment ${paymentId} from this terminal: a payment stored offline is refunded once it has synced.`,
        );
      }
      if (p.state !== 'approved' && p.state !== 'settled' && p.state !== 'refunded') {
        throw new CoreError(
          409,
          'NOT_REFUNDABLE',
          `Payment ${paymentId} is ${p.state}: only an approved or settled payment can be refunded.`,
        );
      }
      if (p.amount_minor !== req.amount.minor || p.currency !== req.amount.currency) {
        throw new CoreError(
          409,
          'PARTIAL_REFUND',
          `Payment ${paymentId} is ${p.amount_minor} ${p.currency}, the refund asks ${req.amount.minor} ${req.amount.currency}: only whole payments are refunded at the terminal; the operator does partial refunds.`,
          'amount',
        );
      }
      if (p.state === 'refunded') return { paymentId, state: 'refunded', duplicate: true };
      // Approved online or settled from a code, so a wallet paid it (records of approvals the core
      // never made are refused at upload).
      if (!p.wallet_id) throw new Error(`payment ${paymentId} is ${p.state} without a wallet`);
      await tx.query(
        `UPDATE payments SET state = 'refunded', reason = $3 WHERE terminal_id = $1 AND payment_id = $2`,
        [t.terminal_id, paymentId, req.reason ?? 'refunded at the terminal'],
      );
      // Back from the merchant the payment went to (the row's, should the terminal have moved since).
      await moveMoney(tx, p, {
        paymentId,
        walletId: p.wallet_id,
        amount: { minor: p.amount_minor, currency: p.currency },
        kind: 'refund',
      });
      return { paymentId, state: 'refunded', duplicate: false };
    });
  }

  // --- merchant-presented QR orders ----------------------------------------------------------------

  /**
   * An order the merchant shows as a QR: held `pending` under the terminal's seq (which counts for
   * the contiguous seq as any online payment's does) until a wallet pays it ({@link payOrder}) or
   * the terminal cancels it. A retry gets the answer it got the first time.
   */
  createOrder(t: TerminalRow, req: OrderRequest): Promise<OrderResponse> {
    return this.flaggingDivergence(t.terminal_id, () => this.createOrderInTransaction(t, req));
  }

  private createOrderInTransaction(t: TerminalRow, req: OrderRequest): Promise<OrderResponse> {
    return this.db.transaction(async (tx) => {
      const mine = await lockPayment(tx, t, req);
      if (mine) {
        if (!mine.expires_at)
          throw conflict(
            `Payment ${req.paymentId} is held already as a payment (${mine.state}), not as an order.`,
          );
        return orderAnswer(req.paymentId, mine.expires_at, true);
      }
      // The QR names the paymentId alone, so an order's is unique across terminals
      // (payments_order_id): a copy at another terminal is refused here, not retried into a 500.
      const elsewhere = await tx.query(ORDER_BY_ID, [req.paymentId]);
      if (elsewhere.rowCount > 0)
        throw conflict(`Payment ${req.paymentId} is already an order of another terminal.`);
      const expiresAt = new Date(this.now().getTime() + ORDER_VALID_S * 1000);
      await recordOnlinePayment(tx, t, {
        facts: req,
        state: 'pending',
        reason: null,
        walletId: null,
        walletCode: null,
        expiresAt,
      });
      return orderAnswer(req.paymentId, expiresAt, false);
    });
  }

  /**
   * A wallet pays an order from its QR (this stands in for the wallet provider's backend). The
   * order's row is locked first, then the wallet: a cancel at the same moment either finds the
   * order paid and reverses it, or cancels it first and this is refused. A refusal for the wallet's
   * currency or balance leaves the order pending: the customer may top up or pay from another wallet.
   */
  async payOrder(walletId: string, paymentId: string): Promise<PayOrderResponse> {
    return this.db.transaction(async (tx) => {
      const o = await tx.query<{
        terminal_id: string;
        merchant_id: string;
        amount_minor: number;
        currency: string;
        state: HeldPaymentState;
        expires_at: Date;
      }>(LOCK_ORDER_SQL, [paymentId]);
      const order = o.rows[0];
      if (!order) throw notFound(`No order ${paymentId}.`);
      if (order.state !== 'pending') {
        throw new CoreError(
          409,
          'ORDER_NOT_PENDING',
          `Order ${paymentId} is ${order.state}: only an order waiting for payment can be paid.`,
        );
      }
      if (order.expires_at.getTime() <= this.now().getTime()) {
        throw new CoreError(
          409,
          'ORDER_EXPIRED',
          `Order ${paymentId} expired at ${order.expires_at.toISOString()}: the merchant shows a new one.`,
        );
      }
      const w = await tx.query<WalletRow>(
        'SELECT wallet_id, currency, balance_minor FROM wallets WHERE wallet_id = $1 FOR UPDATE',
        [walletId],
      );
      const wallet = w.rows[0];
      if (!wallet) throw notFound(`No wallet ${walletId}.`);
      const amount = { minor: order.amount_minor, currency: order.currency };
      const verdict = judgeFunds(
        { amountMinor: amount.minor, currency: amount.currency },
        wallet,
        wallet.balance_minor,
      );
      if (!verdict.ok) {
        throw new CoreError(
          409,
          'PAYMENT_REFUSED',
          `Wallet ${walletId} can't pay order ${paymentId}: ${verdict.reason}. The order still waits for payment.`,
        );
      }
      await tx.query(
        `UPDATE payments SET state = 'approved', wallet_id = $3 WHERE terminal_id = $1 AND payment_id = $2`,
        [order.terminal_id, paymentId, walletId],
      );
      await moveMoney(tx, order, { paymentId, walletId, amount, kind: 'payment' });
      return { paymentId, outcome: 'approved', amount };
    });
  }

  // --- store and forward ---------------------------------------------------------------------------

  async syncState(t: TerminalRow): Promise<SyncStateResponse> {
    const r = await this.db.query<{ highest_contiguous_seq: number }>(
      'SELECT highest_contiguous_seq FROM terminals WHERE terminal_id = $1',
      [t.terminal_id],
    );
    return {
      terminalId: t.terminal_id,
      highestContiguousSeq: r.rows[0]?.highest_contiguous_seq ?? 0,
      anchor: await latestAnchor(this.db, t.terminal_id),
      serverTime: this.now().toISOString(),
    };
  }

  /**
   * Takes a batch of stored payments in seq order, after the terminal's batches of lower seqs that
   * reached this process before it (see LockTurns). New offline payments are judged in seq order
   * (code, expiry by corrected capture time, balance) and settled or declined_after_sync; records
   * of payments the terminal decided are kept as they are; payments the core has already get the
   * result they got then (duplicate: true); other facts under a known paymentId or seq are
   * conflicts. The journal head is anchored in the same transaction. A payment at a seq the core
   * holds as another payment of the terminal shows two journals under its key (a copied data folder
   * that took payments of its own): as for a journal that parted from its anchors, the whole upload
   * is refused with JOURNAL_DIVERGED and the terminal flagged, so that copy's head is never
   * anchored and the copy stops (the terminal blocks its offline payments on that answer).
   */
  upload(t: TerminalRow, req: UploadRequest): Promise<UploadResponse> {
    return this.flaggingDivergence(t.terminal_id, () =>
      this.turns.run(t.terminal_id, req.payments[0]?.seq, async (locked) => {
        try {
          return await this.uploadInTransaction(t, req, 'when-held', locked);
        } catch (err) {
          // A payment of the batch held after all (its id at another seq: see lockTerminal's
          // `probe`), or a code used since this upload read it (by another terminal, or another
          // batch of this one in flight): once more, reading every one of them.
          if (err instanceof UnprobedClash) return this.uploadInTransaction(t, req, 'always', locked);
          throw err;
        }
      }),
    );
  }

  /**
   * Runs `work`; when it finds the terminal's journal diverged (JOURNAL_DIVERGED), flags the
   * terminal for the operator (`suanpan core terminals`) before passing the error on. The flag is
   * written on its own: the work's transaction was rolled back.
   */
  private async flaggingDivergence<T>(terminalId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof CoreError && err.code === 'JOURNAL_DIVERGED') {
        this.options.log.error({ terminalId, reason: err.message }, 'terminal journal diverged');
        // The refusal is the answer whatever happens to the flag: were the database to fail just
        // now, a 503 would read as "not reached" and send the copy's payment offline.
        await this.db
          .query('UPDATE terminals SET integrity_alert = $2 WHERE terminal_id = $1', [
            terminalId,
            err.message,
          ])
          .catch((flagErr: Error) =>
            this.options.log.error(
              { terminalId, err: flagErr.message },
              'the integrity alert could not be recorded',
            ),
          );
      }
      throw err;
    }
  }

  /**
   * One round trip per step, whatever the batch's size: read the codes (see readCodes: before any
   * lock, so that no other upload of the terminal waits on it); lock the terminal, then read what it
   * holds under these ids and seqs (see lockTerminal); check the anchors; lock the codes' wallets;
   * judge in seq order here; then write payments, ledger, balances, the new anchor and the
   * contiguous seq in one statement. (Per-payment statements made the batch cost grow with its
   * size.)
   */
  private uploadInTransaction(
    t: TerminalRow,
    req: UploadRequest,
    probe: 'when-held' | 'always',
    locked: () => void,
  ): Promise<UploadResponse> {
    return this.db.transaction(async (tx) => {
      const key = this.keyOf(t);
      const payments = req.payments;
      const codes = await readCodes(
        tx,
        payments.flatMap((p) => (p.state === 'accepted_offline' ? [p.code] : [])),
      );
      // Handed to the connection at once, run one after the other in this order (see lockTerminal):
      // the terminal's lock, the payments it holds under the batch's ids and seqs, its anchors, and
      // the wallets of the batch's codes, locked. While the terminal's lock is held, this process's
      // event loop is busy with its other requests (the terminal's next batches among them), and
      // a turn of it between each statement held the lock about 1 ms longer each time.
      const locking = lockTerminal(
        tx,
        t.terminal_id,
        payments.map((p) => p.paymentId),
        payments.map((p) => p.seq),
        probe,
        locked,
      );
      const anchorsRead = readAnchors(tx, t, req);
      // The wallets of the codes not used yet: a new payment's (judge needs no wallet for a code
      // used already), and none for a batch sent again, whose codes its own payments used.
      const walletsLocked = lockWallets(
        tx,
        [...codes.values()].flatMap((c) => (c.used ? [] : [c.wallet_id])),
      );
      // Each awaited below. They still run when this upload throws first (a divergence, a clash),
      // then the transaction rolls back; a failed statement fails those after it.
      anchorsRead.catch(() => {});
      walletsLocked.catch(() => {});
      const { terminal, existing } = await locking;
      const byId = new Map(existing.map((p) => [p.payment_id, p]));
      const bySeq = new Map(existing.map((p) => [p.seq, p]));
      // Payments sent at a seq the core holds as another: named in the alert, whichever check flags.
      const clashes = clashText(
        payments.flatMap((p) => {
          const other = byId.has(p.paymentId) ? undefined : bySeq.get(p.seq);
          return other ? [{ sent: p, held: other }] : [];
        }),
      );
      const anchoring = checkAnchor(await anchorsRead, key, req, clashes);
      if (clashes) {
        throw new CoreError(
          409,
          'JOURNAL_DIVERGED',
          `The terminal's journal disagrees with the payments the core holds. ${clashes} Nothing of this upload was applied.`,
        );
      }
      const results: PaymentResult[] = [];
      const conflicts: Conflict[] = [];
      const fresh: UploadedPayment[] = [];
      for (const p of payments) {
        const known = byId.get(p.paymentId);
        if (known) {
          if (sameFacts(known, p)) {
            results.push(result(p, known.state, known.reason, true));
          } else {
            conflicts.push({
              paymentId: p.paymentId,
              seq: p.seq,
              reason: `held with other facts: ${differences(known, p)}`,
            });
          }
          continue;
        }
        // (A seq held as another payment was refused above, with the whole upload.)
        if (p.state === 'approved' || p.state === 'settled') {
          // Not looked up (see lockTerminal's `probe`), its id may be held at another seq: then the
          // conflict is that, and only the look-up can say so (this row never reaches the insert).
          if (probe === 'when-held') throw new UnprobedClash('an approval not looked up: probing');
          conflicts.push({
            paymentId: p.paymentId,
            seq: p.seq,
            reason: `the terminal says ${p.state}, but the core never approved this payment`,
          });
          continue;
        }
        fresh.push(p);
      }

      const wallets = await walletsLocked;
      const balances = new Map([...wallets.values()].map((w) => [w.wallet_id, w.balance_minor]));
      const usedNow = new Set<string>();
      const rows: NewPayment[] = [];
      // The offset this request shows (admission records it only when it moved: see admission).
      const offset = t.clock_offset_ms;
      for (const p of fresh) {
        if (p.state !== 'accepted_offline') {
          rows.push({
            facts: p,
            state: p.state,
            mode: p.mode,
            reason: p.reason ?? null,
            walletId: null,
            walletCode: null,
          });
          results.push(result(p, p.state, p.reason ?? null, false));
          continue;
        }
        const code = codes.get(p.code);
        const wallet = code && wallets.get(code.wallet_id);
        const balance = wallet ? (balances.get(wallet.wallet_id) as number) : 0;
        const verdict = judge(
          { amountMinor: p.amount.minor, currency: p.amount.currency },
          code,
          wallet,
          balance,
          // The offset the terminal knew at capture where it sent one; its clock may have been
          // set right since, and the offset measured now would shift the capture by the correction.
          Date.parse(p.capturedAt) + (p.clockOffsetMs ?? offset),
          usedNow.has(p.code),
        );
        const usesCode = code !== undefined && !code.used && !usedNow.has(p.code);
        if (usesCode) usedNow.add(p.code);
        if (verdict.ok && wallet) balances.set(wallet.wallet_id, balance - p.amount.minor);
        const state: CorePaymentState = verdict.ok ? 'settled' : 'declined_after_sync';
        const reason = verdict.ok ? null : verdict.reason;
        rows.push({
          facts: p,
          state,
          mode: 'offline',
          reason,
          walletId: code?.wallet_id ?? null,
          walletCode: usesCode ? p.code : null,
        });
        results.push(result(p, state, reason, false));
      }
      const changed = [...balances].filter(([id, b]) => wallets.get(id)?.balance_minor !== b);
      // The run of seqs from the contiguous mark that this batch and the rows read above already
      // show to exist: the database walk only has to go on from its end.
      const held = new Set<number>(existing.map((p) => p.seq));
      for (const r of rows) held.add(r.facts.seq);
      let runEnd = terminal.highest_contiguous_seq;
      while (held.has(runEnd + 1)) runEnd += 1;
      const report = { queueDepth: req.queueDepth, softwareVersion: req.softwareVersion };
      let highest = await writeBatch(
        tx,
        t,
        { rows, balances: changed, anchor: anchoring.insert, runEnd, report },
        probe,
      );
      // The statement's walk went on past runEnd over rows committed before (an order held at a
      // seq of the batch's gap) and stopped at a row of this batch, which it could not see: once
      // more, now that they are there. Rare: a batch's seqs run on from the mark as a rule.
      if (held.has(highest + 1)) highest = await advanceContiguous(tx, t.terminal_id, highest, report);
      results.sort((a, b) => a.seq - b.seq);
      return { results, conflicts, highestContiguousSeq: highest, anchor: anchoring.latest };
    });
  }

  async results(t: TerminalRow, fromSeq: number, limit: number): Promise<ResultsResponse> {
    const r = await this.db.query<{
      payment_id: string;
      seq: number;
      state: HeldPaymentState;
      reason: string | null;
    }>(
      'SELECT payment_id, seq, state, reason FROM payments WHERE terminal_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
      [t.terminal_id, fromSeq, limit],
    );
    return {
      results: r.rows.map((row) => ({
        paymentId: row.payment_id,
        seq: row.seq,
        state: row.state,
        ...(row.reason ? { reason: row.reason } : {}),
        duplicate: true,
      })),
    };
  }
}

/**
 * For an integrity alert: payments sent at seqs the core holds as other payments of the terminal,
 * the first named; null when there are none. A terminal numbers its payments itself, gap-free, so a
 * seq held as another payment can only come from another copy of its journal, and the operator
 * needs the copy's payment to settle it with the merchant.
 */
function clashText(
  clashes: { sent: Pick<PaymentFacts, 'paymentId' | 'seq'>; held: PaymentRow }[],
): string | null {
  const [first] = clashes;
  if (!first) return null;
  const more = clashes.length > 1 ? `, and ${clashes.length - 1} more like it` : '';
  return `It sent payment ${first.sent.paymentId} at seq ${first.sent.seq}, which the core holds as payment ${first.held.payment_id}${more}: another copy of its data folder took payments of its own.`;
}

function result(
  p: { paymentId: string; seq: number },
  state: HeldPaymentState,
  reason: string | null,
  duplicate: boolean,
): PaymentResult {
  return { paymentId: p.paymentId, seq: p.seq, state, ...(reason ? { reason } : {}), duplicate };
}

// --- statements ----------------------------------------------------------------------------------

/**
 * Locks the terminal and reads the payment `facts` name: returned when the core holds it with the
 * same facts (a retry), 409 when with other facts; undefined when it is new and its seq is free, 409
 * when another payment holds that seq.
 */
async function lockPayment(
  tx: Queryable,
  t: TerminalRow,
  facts: PaymentFacts,
): Promise<PaymentRow | undefined> {
  const { existing } = await lockTerminal(tx, t.terminal_id, [facts.paymentId], [facts.seq]);
  return heldAs(existing, facts);
}

/**
 * Of the payments held under `facts`' paymentId or seq: the one held with the same facts (a
 * retry); undefined when there is none; 409 CONFLICT when it is held with other facts. Its seq held
 * by another payment is two journals under one key, as in an upload: 409 JOURNAL_DIVERGED (and the
 * caller flags the terminal, see flaggingDivergence).
 */
function heldAs(existing: PaymentRow[], facts: PresentedFacts): PaymentRow | undefined {
  const mine = existing.find((p) => p.payment_id === facts.paymentId);
  if (mine) {
    if (!sameFacts(mine, facts))
      throw conflict(`Payment ${facts.paymentId} is held with other facts: ${differences(mine, facts)}.`);
    return mine;
  }
  const [held] = existing;
  if (held) {
    throw new CoreError(
      409,
      'JOURNAL_DIVERGED',
      `The terminal's journal disagrees with the payments the core holds. ${clashText([{ sent: facts, held }])} This payment was not taken.`,
    );
  }
  return undefined;
}

/** A terminal the core already knows, as activation judges it; its row locked. */
interface KnownTerminal {
  terminal_id: string;
  merchant_id: string;
  merchant_name: string;
  status: 'active' | 'revoked';
  revoked_at: Date | null;
}

async function knownTerminal(tx: Queryable, terminalId: string): Promise<KnownTerminal | undefined> {
  const r = await tx.query<KnownTerminal>(
    `SELECT t.terminal_id, t.merchant_id, m.name AS merchant_name, t.status, t.revoked_at
     FROM terminals t JOIN merchants m ON m.merchant_id = t.merchant_id
     WHERE t.terminal_id = $1 FOR UPDATE OF t`,
    [terminalId],
  );
  return r.rows[0];
}

function terminalRevoked(known: KnownTerminal): CoreError {
  const when = known.revoked_at ? ` at ${known.revoked_at.toISOString()}` : '';
  return unauthenticated(
    'TERMINAL_REVOKED',
    `Terminal ${known.terminal_id} was revoked by the operator${when}, and a revoked terminal can't be activated again (its key may be compromised). Set the terminal up anew, in a new data folder with a new key, and activate that; this activation code was not used.`,
  );
}

/**
 * Why a known terminal may not be activated for `merchantId`: it was revoked, or it belongs to
 * another merchant. Undefined: an active terminal of that merchant, which may be (see activate).
 */
function reactivationRefused(known: KnownTerminal, merchantId: string): CoreError | undefined {
  if (known.status === 'revoked') return terminalRevoked(known);
  if (known.merchant_id !== merchantId) {
    return conflict(
      `Terminal ${known.terminal_id} belongs to merchant ${known.merchant_name} (${known.merchant_id}), and this activation code is for another merchant. To serve another merchant, set up a new terminal in a new data folder and activate it with this code; this code was not used.`,
    );
  }
  return undefined;
}

/**
 * Locks the terminal's row (every write for a terminal's payments takes it first), then reads the
 * payments it already has under these ids or seqs. Two statements, the second planned and run once
 * the lock is held: under READ COMMITTED it sees every payment committed by the lock's previous
 * holder (in one statement, the rows came from the snapshot taken before the lock was granted), and
 * PostgreSQL plans it against the table as it is then. Planned before a wait for the lock, while a
 * new core's table was still empty, the probe by id went through the (terminal_id, seq) index and
 * filtered every payment of the terminal, a thousand times a batch: the two keys looked alike to
 * the planner on an empty table. Inserting paths are safe anyway (the unique keys refuse the row and
 * the transaction is retried); a path that changes an existing payment re-checks it in its UPDATE
 * (see cancel).
 *
 * The second statement is handed to the connection with the first, not after it returns:
 * node-postgres sends a statement only once the one before it has finished, so it still runs (and
 * is planned) once the lock is held, but without waiting for this process's event loop in between,
 * busy with other requests while the terminal's lock is held (see uploadInTransaction). `onLocked`
 * is told when the lock is granted.
 */
async function lockTerminal(
  tx: Queryable,
  terminalId: string,
  ids: string[] = [],
  seqs: number[] = [],
  probe: 'when-held' | 'always' = 'always',
  onLocked: () => void = () => {},
): Promise<{ terminal: TerminalRow & { highest_contiguous_seq: number }; existing: PaymentRow[] }> {
  const locking = tx.query<TerminalRow & { highest_contiguous_seq: number }>(
    `SELECT terminal_id, merchant_id, public_key, status, clock_offset_ms, highest_contiguous_seq
     FROM terminals WHERE terminal_id = $1 FOR UPDATE`,
    [terminalId],
  );
  const probing = ids.length === 0 && seqs.length === 0 ? null : probeHeld(tx, terminalId, ids, seqs, probe);
  // Awaited below, after the lock; when the lock fails, so does it (the transaction is aborted).
  probing?.catch(() => {});
  const t = await locking;
  onLocked();
  const terminal = t.rows[0];
  if (!terminal)
    throw unauthenticated('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not activated at this core.`);
  return { terminal, existing: probing ? await probing : [] };
}

/** The payments the terminal holds under these ids or seqs: lockTerminal's second statement. */
async function probeHeld(
  tx: Queryable,
  terminalId: string,
  ids: string[],
  seqs: number[],
  probe: 'when-held' | 'always',
): Promise<PaymentRow[]> {
  // One index probe per id and per seq (LATERAL ... LIMIT 1: both keys are unique, and the LIMIT
  // keeps the planner from flattening the probes into a join): as `payment_id = ANY(...) OR
  // seq = ANY(...)`, it scanned every payment the terminal ever made and filtered them. The ids and
  // seqs travel as JSON text, which PostgreSQL splits in C: as arrays, node-postgres escaped every
  // element in JavaScript.
  //
  // With `probe` 'when-held', none of it runs when every seq is past the terminal's last payment
  // (one probe, for its highest seq; a one-time filter in the plan): a terminal's first sending of a
  // batch, where the probes found nothing (about 7 ms of PostgreSQL's time for a batch of 1,000,
  // measured alone; writing the batch takes about 44). Nothing can be held at those seqs. A
  // payment's id held at another seq could be (a journal that renumbered it): then its row is left
  // out of the insert, and the caller sends the batch again with 'always' (UnprobedClash). So it
  // does for a record of an approval, which never reaches the insert.
  const lowest = probe === 'when-held' ? Math.min(...seqs) : null;
  const r = await tx.query<PaymentRow>(
    `WITH last AS (SELECT $4::bigint IS NULL OR $4::bigint <= (SELECT max(seq) FROM payments WHERE terminal_id = $1) AS held)
     SELECT ${HELD_COLUMNS} FROM json_array_elements_text($2::json) AS i(id)
       CROSS JOIN LATERAL (SELECT * FROM payments WHERE terminal_id = $1 AND payment_id = i.id::uuid LIMIT 1) p
       WHERE (SELECT held FROM last)
     UNION
     SELECT ${HELD_COLUMNS} FROM json_array_elements_text($3::json) AS s(seq)
       CROSS JOIN LATERAL (SELECT * FROM payments WHERE terminal_id = $1 AND seq = s.seq::bigint LIMIT 1) p
       WHERE (SELECT held FROM last)`,
    [terminalId, JSON.stringify(ids), JSON.stringify(seqs), lowest],
  );
  return r.rows;
}

/**
 * A batch read with `probe` 'when-held' had a row left out of its insert (a payment held after all,
 * see lockTerminal, or a code used since the batch read it, see readCodes), or a record of an
 * approval the look-up would have found under another seq. Sent again, probing.
 */
class UnprobedClash extends Error {}

/** A held payment's columns (PaymentRow), of `p`. */
const HELD_COLUMNS = `p.payment_id, p.seq, p.amount_minor, p.currency, p.scheme, p.code_hash, p.captured_at,
  p.state, p.reason, p.mode, p.received_at, p.expires_at, p.wallet_code`;

/** A held payment's columns, as joined to another row (its id as p_payment_id; null: none). */
type JoinedPayment = { p_payment_id: string | null } & Omit<PaymentRow, 'payment_id'>;

const JOINED_PAYMENT_COLUMNS = `p.payment_id AS p_payment_id, p.seq, p.amount_minor, p.currency, p.scheme,
  p.code_hash, p.captured_at, p.state, p.reason, p.mode, p.received_at, p.expires_at, p.wallet_code`;

function heldPayments(rows: JoinedPayment[]): PaymentRow[] {
  return rows
    .filter((row) => row.p_payment_id !== null)
    .map((row) => ({
      payment_id: row.p_payment_id as string,
      seq: row.seq,
      amount_minor: row.amount_minor,
      currency: row.currency,
      scheme: row.scheme,
      code_hash: row.code_hash,
      captured_at: row.captured_at,
      state: row.state,
      reason: row.reason,
      mode: row.mode,
      received_at: row.received_at,
      expires_at: row.expires_at,
      wallet_code: row.wallet_code,
    }));
}

/**
 * The first statement of an online payment: {@link CoreService.admit}'s (the nonce taken once, the
 * terminal's last-seen time and clock offset), then, only when admitted, what {@link lockPayment}
 * reads and locks, the code as {@link readCodes} reads it, and its wallet, locked as
 * {@link lockWallets} locks it. The terminal's row is locked by the update that records it seen,
 * before the wallet (the LATERAL join on `t` orders them: the locking order of the whole core).
 * The payment is two probes of unique keys (as one condition with OR, the planner scanned all the
 * terminal's payments). What it reads of payments and codes comes from the snapshot taken before
 * the terminal's lock was granted (lockTerminal reads in a second statement; here one round trip
 * matters to a payment at the counter): a payment or a use of the code committed meanwhile makes
 * the insert collide, and the transaction is retried. The UPDATE's lock (FOR NO KEY UPDATE)
 * excludes lockTerminal's FOR UPDATE and another payment's UPDATE alike, so a terminal's payments
 * are still written one at a time.
 */
const ADMIT_AND_LOCK_FOR_AUTHORISE = prepared(
  'authorise-admit-lock',
  `WITH ${admission('always')}
   SELECT r.terminal_id, r.merchant_id, r.public_key, r.status, $3::bigint AS clock_offset_ms,
          t.terminal_id IS NOT NULL AS fresh, ${JOINED_PAYMENT_COLUMNS},
          c.code AS c_code, c.wallet_id AS c_wallet_id, c.issued_at_ms, c.used, c.w_currency, c.balance_minor
   FROM terminals r
     LEFT JOIN seen t ON true
     LEFT JOIN LATERAL (
       SELECT * FROM payments WHERE terminal_id = $1 AND payment_id = $4 AND t.terminal_id IS NOT NULL
       UNION
       SELECT * FROM payments WHERE terminal_id = $1 AND seq = $5 AND t.terminal_id IS NOT NULL) p ON true
     LEFT JOIN LATERAL (
       SELECT c.code, c.wallet_id, floor(extract(epoch FROM c.issued_at) * 1000)::float8 AS issued_at_ms,
              u.used IS NOT NULL AS used, w.currency AS w_currency, w.balance_minor
       FROM wallet_codes c JOIN wallets w ON w.wallet_id = c.wallet_id
         LEFT JOIN LATERAL (SELECT true AS used FROM payments x WHERE x.wallet_code = c.code LIMIT 1) u ON true
       WHERE c.code = $6 AND t.terminal_id IS NOT NULL
       FOR UPDATE OF w) c ON true
   WHERE r.terminal_id = $1`,
);

async function admitAndLockForAuthorise(
  tx: Queryable,
  admission: Admission,
  req: AuthoriseRequest,
): Promise<{ terminal: TerminalRow; existing: PaymentRow[]; code?: CodeRow; wallet?: WalletRow }> {
  type Row = TerminalRow &
    JoinedPayment & {
      fresh: boolean;
      c_code: string | null;
      c_wallet_id: string;
      issued_at_ms: number;
      used: boolean;
      w_currency: string;
      balance_minor: number;
    };
  const r = await tx.query<Row>(ADMIT_AND_LOCK_FOR_AUTHORISE, [
    admission.terminalId,
    admission.nonce,
    Math.round(admission.clockOffsetMs),
    req.paymentId,
    req.seq,
    req.code,
  ]);
  const first = r.rows[0];
  const terminal = admittedTerminal(
    admission.terminalId,
    first && {
      terminal: {
        terminal_id: first.terminal_id,
        merchant_id: first.merchant_id,
        public_key: first.public_key,
        status: first.status,
        clock_offset_ms: first.clock_offset_ms,
      },
      fresh: first.fresh,
    },
  );
  const c = first?.c_code ? first : undefined;
  return {
    terminal,
    existing: heldPayments(r.rows),
    code: c && {
      code: c.c_code as string,
      wallet_id: c.c_wallet_id,
      issued_at_ms: c.issued_at_ms,
      used: c.used,
    },
    wallet: c && { wallet_id: c.c_wallet_id, currency: c.w_currency, balance_minor: c.balance_minor },
  };
}

/**
 * Reads the codes: each one's wallet, its issue time and whether a payment used it already. An
 * upload reads them first, before it takes the terminal's lock, and takes no lock here: a code's
 * wallet and issue time never change (codes are only ever inserted), and its single use is kept by
 * the unique payments.wallet_code, not by a lock. A code used meanwhile (by another terminal, or
 * by another batch of this one in flight) makes this batch's insert collide on that index, and the
 * transaction is retried, reading the codes again; a flag read before can only be stale as unused,
 * since a payment's code is never taken back. Read under the lock, this look-up was 5–17 ms of the
 * 25–50 ms a batch of 1,000 held its terminal and wallets (2-core machine), and the terminal's next
 * batch, or its online payment, waited on it.
 * "Used" is one probe of that index per code (LATERAL ... LIMIT 1): as an EXISTS, the planner
 * hashed every payment in the table to answer a batch of codes. The codes go in as JSON text, which
 * PostgreSQL splits in C, and the rows come back as one text, a row per code, its fields separated
 * by commas: as an array parameter and a row per code, node-postgres escaped and parsed every one of
 * them in JavaScript; as JSON (json_agg of an array per row), building it took a third of the
 * statement (a batch of 1,000 codes: 11.5 ms against 9.0 as text, measured on a 2-core machine).
 * No field can hold a comma or a space: digits (the wire's pattern for a code), a UUID, a number
 * and a flag. The issue time comes back as a number of ms, not a timestamp to parse into a Date.
 */
async function readCodes(tx: Queryable, codes: string[]): Promise<Map<string, CodeRow>> {
  const codeMap = new Map<string, CodeRow>();
  if (codes.length === 0) return codeMap;
  const r = await tx.query<{ found: string | null }>(
    `SELECT string_agg(concat_ws(',', c.code, c.wallet_id, floor(extract(epoch FROM c.issued_at) * 1000)::float8,
                                 (u.used IS NOT NULL)::int), ' ') AS found
     FROM wallet_codes c
       LEFT JOIN LATERAL (SELECT true AS used FROM payments p WHERE p.wallet_code = c.code LIMIT 1) u ON true
     WHERE c.code = ANY(ARRAY(SELECT json_array_elements_text($1::json)))`,
    [JSON.stringify([...new Set(codes)])],
  );
  for (const fields of splitRows(r.rows[0]?.found, 4, "a code's row")) {
    const [code, walletId, issuedAtMs, used] = fields as [string, string, string, string];
    codeMap.set(code, { code, wallet_id: walletId, issued_at_ms: Number(issuedAtMs), used: used === '1' });
  }
  return codeMap;
}

/**
 * Locks the wallets, in id order (the order every core transaction takes them in), and reads their
 * balances: under the terminal's lock, held to the commit that writes the new balances. Rows come
 * back as in readCodes: a UUID, a currency code and a number.
 */
async function lockWallets(tx: Queryable, walletIds: string[]): Promise<Map<string, WalletRow>> {
  const walletMap = new Map<string, WalletRow>();
  if (walletIds.length === 0) return walletMap;
  const r = await tx.query<{ found: string | null }>(
    `SELECT string_agg(concat_ws(',', wallet_id, currency, balance_minor), ' ') AS found
     FROM (SELECT wallet_id, currency, balance_minor FROM wallets
           WHERE wallet_id = ANY(ARRAY(SELECT json_array_elements_text($1::json))::uuid[])
           ORDER BY wallet_id FOR UPDATE) w`,
    [JSON.stringify([...new Set(walletIds)])],
  );
  for (const fields of splitRows(r.rows[0]?.found, 3, "a wallet's row")) {
    const [walletId, currency, balance] = fields as [string, string, string];
    walletMap.set(walletId, { wallet_id: walletId, currency, balance_minor: Number(balance) });
  }
  return walletMap;
}

/**
 * Rows aggregated as one text (rows separated by spaces, fields by commas) split back. Every column
 * is NOT NULL (concat_ws would skip a null): a row with another count of fields is not ours.
 */
function splitRows(text: string | null | undefined, fieldCount: number, what: string): string[][] {
  if (!text) return [];
  return text.split(' ').map((row) => {
    const fields = row.split(',');
    if (fields.length !== fieldCount)
      throw new Error(`${what} read back with ${fields.length} fields, not ${fieldCount}`);
    return fields;
  });
}

/** A scheme or a currency: letters, digits and underscores (never a comma, see writeBatch). */
const WORD = /^[A-Za-z0-9_]+$/;

interface NewPayment {
  facts: PaymentFacts;
  state: HeldPaymentState;
  mode: 'online' | 'offline';
  reason: string | null;
  walletId: string | null;
  walletCode: string | null;
}

/**
 * A batch's writes in one statement: the payments, a wallet → merchant pair of ledger rows for each
 * one settled here, the wallets' new balances (one update per wallet, not per payment), the new
 * anchor, and the terminal's contiguous seq (returned; a statement of its own was one more wait
 * under the terminal's lock). Each column of the payments travels as one text of comma-separated values that
 * PostgreSQL splits in C (string_to_array, an empty field read as NULL): as fourteen array
 * parameters, node-postgres escaped every element in JavaScript, a few µs a payment in the core; as
 * one JSON array of objects, every key went with every payment (a batch of 1,000: 373 KB, and
 * 10–14 ms from sending to rows, against 7 ms for the same values as text columns, 230 KB, measured
 * on a 2-core machine where the insert itself takes about 20). No value can hold a comma: every one
 * is a UUID, a number, a time, hex or digits, checked by the wire's patterns, or a word the core
 * checks here; the reasons, free text, go as an array.
 */
async function writeBatch(
  tx: Queryable,
  t: TerminalRow,
  batch: {
    rows: NewPayment[];
    balances: [walletId: string, balance: number][];
    anchor: { entrySeq: number; hash: string; signature: string } | null;
    /** The terminal's contiguous mark to move on from the end of this run (see ADVANCE_CONTIGUOUS). */
    runEnd: number;
    report: { queueDepth: number; softwareVersion: string };
  },
  probe: 'when-held' | 'always' = 'always',
): Promise<number> {
  const { rows, balances, anchor } = batch;
  const n = rows.length;
  const paymentId = new Array<string>(n);
  const seq = new Array<number>(n);
  const amount = new Array<number>(n);
  const currency = new Array<string>(n);
  const scheme = new Array<string>(n);
  const codeHash = new Array<string>(n);
  const capturedAt = new Array<string>(n);
  const mode = new Array<string>(n);
  const state = new Array<string>(n);
  const reason = new Array<string | null>(n);
  const walletId = new Array<string>(n);
  const walletCode = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as NewPayment;
    const { facts } = r;
    // The two words a value could carry a comma in (the wire's patterns rule it out; checked anyway).
    if (!WORD.test(facts.scheme) || !WORD.test(facts.amount.currency))
      throw new Error(`payment ${facts.paymentId}: a scheme or currency that is not a word`);
    paymentId[i] = facts.paymentId;
    seq[i] = facts.seq;
    amount[i] = facts.amount.minor;
    currency[i] = facts.amount.currency;
    scheme[i] = facts.scheme;
    codeHash[i] = facts.codeHash;
    capturedAt[i] = facts.capturedAt;
    mode[i] = r.mode;
    state[i] = r.state;
    reason[i] = r.reason;
    walletId[i] = r.walletId ?? '';
    walletCode[i] = r.walletCode ?? '';
  }
  const r = await tx.query<{ inserted: number; highest: number }>(
    `WITH ins AS (
       INSERT INTO payments (terminal_id, merchant_id, payment_id, seq, amount_minor, currency, scheme, code_hash,
                             captured_at, mode, state, reason, wallet_id, wallet_code)
       SELECT $1, $2, x.payment_id, x.seq, x.amount_minor, x.currency, x.scheme, decode(x.code_hash, 'hex'),
              x.captured_at, x.mode, x.state, x.reason, x.wallet_id, x.wallet_code
       FROM unnest(string_to_array($3, ',')::uuid[], string_to_array($4, ',')::bigint[],
                   string_to_array($5, ',')::bigint[], string_to_array($6, ','), string_to_array($7, ','),
                   string_to_array($8, ','), string_to_array($9, ',')::timestamptz[], string_to_array($10, ','),
                   string_to_array($11, ','), $12::text[], string_to_array($13, ',', '')::uuid[],
                   string_to_array($14, ',', ''))
         AS x(payment_id, seq, amount_minor, currency, scheme, code_hash, captured_at, mode, state, reason,
              wallet_id, wallet_code)
       ON CONFLICT DO NOTHING
       RETURNING payment_id, amount_minor, currency, state, wallet_id),
     -- A batch settles only what it judged here: a terminal's own record never arrives as settled
     -- (refused above as a conflict), so 'settled' rows are exactly this batch's debits.
     led AS (
       INSERT INTO ledger_entries (terminal_id, payment_id, account, amount_minor, currency, kind)
       SELECT $1, ins.payment_id, a.account, a.amount, ins.currency, 'payment'
       FROM ins CROSS JOIN LATERAL (VALUES ('wallet:' || ins.wallet_id::text, -ins.amount_minor),
                                           ('merchant:' || $2::text, ins.amount_minor)) AS a(account, amount)
       WHERE ins.state = 'settled'),
     bal AS (
       UPDATE wallets w SET balance_minor = v.balance
       FROM unnest($15::uuid[], $16::bigint[]) AS v(wallet_id, balance) WHERE w.wallet_id = v.wallet_id),
     anc AS (
       INSERT INTO terminal_anchors (terminal_id, entry_seq, hash, signature)
       SELECT $1, $17::bigint, decode($18::text, 'hex'), decode($19::text, 'base64') WHERE $17::bigint IS NOT NULL
       ON CONFLICT DO NOTHING),
     -- The rows inserted above are not seen by this walk (one snapshot for the statement): it starts
     -- at the end of the run they make (runEnd), and goes on over rows committed before (then it
     -- may stop at one of them: see uploadInTransaction).
     adv AS (${ADVANCE_CONTIGUOUS({ runEnd: '$20', queueDepth: '$21', softwareVersion: '$22' })})
     SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT highest_contiguous_seq FROM adv) AS highest`,
    [
      t.terminal_id,
      t.merchant_id,
      paymentId.join(','),
      seq.join(','),
      amount.join(','),
      currency.join(','),
      scheme.join(','),
      codeHash.join(','),
      capturedAt.join(','),
      mode.join(','),
      state.join(','),
      // Free text, and null but for declines (most often all null): an array node-postgres escapes.
      reason.some((x) => x !== null) ? reason : null,
      walletId.join(','),
      walletCode.join(','),
      balances.map((b) => b[0]),
      balances.map((b) => b[1]),
      anchor?.entrySeq ?? null,
      anchor?.hash ?? null,
      anchor?.signature ?? null,
      batch.runEnd,
      batch.report.queueDepth,
      batch.report.softwareVersion,
    ],
  );
  // A row left out collided with another writer (a code used since the batch read it, see
  // readCodes): retrying the whole transaction sees that writer's rows and judges again. Read without
  // the probes for held payments, it may be one of those: sent again, probing.
  if (r.rows[0]?.inserted !== rows.length) {
    if (probe === 'when-held') throw new UnprobedClash('a payment of the batch is held: probing');
    throw Object.assign(new Error('payments inserted concurrently'), { code: '40001' });
  }
  return r.rows[0]?.highest ?? 0;
}

interface LedgerMovement {
  paymentId: string;
  walletId: string;
  amount: Money;
  kind: 'payment' | 'reversal' | 'refund';
}

/** Whose books a movement is in: the payment's terminal and merchant. */
type LedgerOwner = Pick<TerminalRow, 'terminal_id' | 'merchant_id'>;

/**
 * An online payment's writes in one statement (one round trip): the payment, and when approved the
 * wallet's debit and its two ledger rows; then the terminal's contiguous seq. Rows after this seq
 * already exist or not, so the search for the next gap needs no sight of the row inserted here.
 */
async function recordOnlinePayment(
  tx: Queryable,
  t: TerminalRow,
  p: {
    facts: PaymentFacts;
    state: 'approved' | 'declined' | 'cancelled' | 'pending';
    reason: string | null;
    walletId: string | null;
    walletCode: string | null;
    /** An order's expiry; absent for a payment by code. */
    expiresAt?: Date;
  },
): Promise<void> {
  const { facts } = p;
  const r = await tx.query<{ inserted: number }>(RECORD_ONLINE_PAYMENT, [
    t.terminal_id,
    t.merchant_id,
    facts.paymentId,
    facts.seq,
    facts.amount.minor,
    facts.amount.currency,
    facts.scheme,
    Buffer.from(facts.codeHash, 'hex'),
    facts.capturedAt,
    p.state,
    p.reason,
    p.walletId,
    p.walletCode,
    p.expiresAt ?? null,
  ]);
  if (r.rows[0]?.inserted !== 1)
    throw Object.assign(new Error('payment inserted concurrently'), { code: '40001' });
}

/**
 * Two rows per movement, summing to zero: wallet → merchant for a payment, back for a reversal or a
 * refund.
 */
async function postLedger(tx: Queryable, t: LedgerOwner, moves: LedgerMovement[]): Promise<void> {
  if (moves.length === 0) return;
  const pid: string[] = [];
  const account: string[] = [];
  const amount: number[] = [];
  const currency: string[] = [];
  const kind: string[] = [];
  for (const m of moves) {
    const sign = m.kind === 'payment' ? 1 : -1;
    pid.push(m.paymentId, m.paymentId);
    account.push(`wallet:${m.walletId}`, `merchant:${t.merchant_id}`);
    amount.push(-sign * m.amount.minor, sign * m.amount.minor);
    currency.push(m.amount.currency, m.amount.currency);
    kind.push(m.kind, m.kind);
  }
  await tx.query(
    `INSERT INTO ledger_entries (terminal_id, payment_id, account, amount_minor, currency, kind)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[])`,
    [t.terminal_id, pid, account, amount, currency, kind],
  );
}

/** One movement of a payment held already: the wallet's balance and its ledger rows. */
async function moveMoney(tx: Queryable, t: LedgerOwner, move: LedgerMovement): Promise<void> {
  const delta = move.kind === 'payment' ? -move.amount.minor : move.amount.minor;
  await tx.query('UPDATE wallets SET balance_minor = balance_minor + $2 WHERE wallet_id = $1', [
    move.walletId,
    delta,
  ]);
  await postLedger(tx, t, [move]);
}

/** A payment's state as it stands (committed), or undefined when the core doesn't hold it. */
async function heldState(
  q: Queryable,
  terminalId: string,
  paymentId: string,
): Promise<{ state: HeldPaymentState; reason: string | null } | undefined> {
  const r = await q.query<{ state: HeldPaymentState; reason: string | null }>(
    'SELECT state, reason FROM payments WHERE terminal_id = $1 AND payment_id = $2',
    [terminalId, paymentId],
  );
  return r.rows[0];
}

/** What a cancel leaves a payment as: never pending (a pending order is cancelled first). */
function afterCancel(state: HeldPaymentState): CancelResponse['state'] {
  if (state === 'pending') throw new Error('a cancelled order is still pending');
  return state;
}

/**
 * An order by its paymentId alone (the QR's), locked; the predicate matches the partial unique
 * index payments_order_id, so this is one index probe (0002-orders-and-refunds.ts).
 */
const ORDER_BY_ID = `SELECT terminal_id, merchant_id, amount_minor, currency, state, expires_at
  FROM payments WHERE payment_id = $1 AND expires_at IS NOT NULL`;
export const LOCK_ORDER_SQL = `${ORDER_BY_ID} FOR UPDATE`;

function orderAnswer(paymentId: string, expiresAt: Date, duplicate: boolean): OrderResponse {
  return { paymentId, qr: `${ORDER_QR_PREFIX}${paymentId}`, expiresAt: expiresAt.toISOString(), duplicate };
}

/**
 * The end of the run of seqs that starts at `start` (which exists, or is being inserted by the same
 * statement): a walk along the (terminal_id, seq) index, one probe per seq, so its cost is the run's
 * length whatever the table's size. LATERAL ... LIMIT 1 keeps each step an index probe: a set-based
 * gap search, or a plain EXISTS here, let the planner hash the terminal's whole history (at every
 * online payment, or at every step of the walk).
 */
const CONTIGUOUS_FROM = (start: string) => `
  WITH RECURSIVE walk(s) AS (
    SELECT ${start}
    UNION ALL
    SELECT n.seq FROM walk w
    CROSS JOIN LATERAL (SELECT x.seq FROM payments x WHERE x.terminal_id = $1 AND x.seq = w.s + 1 LIMIT 1) n)
  SELECT max(s) FROM walk`;

/** {@link recordOnlinePayment}'s statement, on the path of every online payment. */
const RECORD_ONLINE_PAYMENT = prepared(
  'record-online-payment',
  `WITH ins AS (
       INSERT INTO payments (terminal_id, merchant_id, payment_id, seq, amount_minor, currency, scheme, code_hash,
                             captured_at, mode, state, reason, wallet_id, wallet_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'online', $10, $11, $12, $13, $14)
       ON CONFLICT DO NOTHING RETURNING seq),
     bal AS (
       UPDATE wallets SET balance_minor = balance_minor - $5
       WHERE $10 = 'approved' AND wallet_id = $12 AND EXISTS (SELECT 1 FROM ins) RETURNING 1),
     led AS (
       INSERT INTO ledger_entries (terminal_id, payment_id, account, amount_minor, currency, kind)
       SELECT $1, $3, a.account, a.amount, $6, 'payment'
       FROM (VALUES ('wallet:' || $12::text, -$5::bigint), ('merchant:' || $2::text, $5::bigint)) AS a(account, amount)
       WHERE $10 = 'approved' AND EXISTS (SELECT 1 FROM ins))
     UPDATE terminals t SET highest_contiguous_seq = CASE
         WHEN $4 = t.highest_contiguous_seq + 1 THEN (${CONTIGUOUS_FROM('$4::bigint')})
         ELSE t.highest_contiguous_seq END
     WHERE terminal_id = $1
     RETURNING (SELECT count(*) FROM ins)::int AS inserted`,
);

/**
 * The UPDATE that moves the terminal's highest contiguous seq up to the first gap, records what it
 * reported and that it was seen, over $1 (terminal id) and the parameters named: `runEnd` (≥ the
 * current mark) ends a run of seqs from the mark that the caller knows exist, so the walk along the
 * index starts there rather than at the mark. The last step of a batch's writes (writeBatch), and
 * on its own when that statement's walk stopped at the batch's own rows (advanceContiguous).
 */
const ADVANCE_CONTIGUOUS = (p: { runEnd: string; queueDepth: string; softwareVersion: string }) =>
  `UPDATE terminals t SET
       highest_contiguous_seq = CASE
         WHEN ${p.runEnd}::bigint > t.highest_contiguous_seq THEN (${CONTIGUOUS_FROM(`${p.runEnd}::bigint`)})
         WHEN EXISTS (SELECT 1 FROM payments x WHERE x.terminal_id = $1 AND x.seq = t.highest_contiguous_seq + 1)
           THEN (${CONTIGUOUS_FROM('t.highest_contiguous_seq + 1')})
         ELSE t.highest_contiguous_seq END,
       queue_depth = coalesce(${p.queueDepth}, queue_depth),
       software_version = coalesce(${p.softwareVersion}, software_version),
       -- Seen now, under the lock this upload holds anyway: so the admission of the terminal's next
       -- batches finds the record fresh, and need not wait for this lock to record it (admission).
       last_seen_at = greatest(last_seen_at, now())
     WHERE terminal_id = $1 RETURNING highest_contiguous_seq`;

/** {@link ADVANCE_CONTIGUOUS} as a statement of its own; returns the new mark. */
async function advanceContiguous(
  tx: Queryable,
  terminalId: string,
  knownRunEnd: number,
  report: { queueDepth: number; softwareVersion: string },
): Promise<number> {
  const r = await tx.query<{ highest_contiguous_seq: number }>(
    ADVANCE_CONTIGUOUS({ runEnd: '$4', queueDepth: '$2', softwareVersion: '$3' }),
    [terminalId, report.queueDepth, report.softwareVersion, knownRunEnd],
  );
  return r.rows[0]?.highest_contiguous_seq ?? 0;
}

async function latestAnchor(
  q: Queryable,
  terminalId: string,
): Promise<{ entrySeq: number; hash: string } | null> {
  const r = await q.query<{ entry_seq: number; hash: Buffer }>(
    'SELECT entry_seq, hash FROM terminal_anchors WHERE terminal_id = $1 ORDER BY entry_seq DESC LIMIT 1',
    [terminalId],
  );
  const row = r.rows[0];
  return row ? { entrySeq: row.entry_seq, hash: Buffer.from(row.hash).toString('hex') } : null;
}

/**
 * A head to anchor (checked and signed), the latest anchor once the batch has committed, and the
 * latest one before it (what stays latest should the batch not anchor its head).
 */
interface Anchoring {
  insert: { entrySeq: number; hash: string; signature: string } | null;
  latest: { entrySeq: number; hash: string } | null;
}

/** One of the anchors {@link checkAnchor} needs, by its role. */
interface AnchorRow {
  role: 'latest' | 'first' | 'at' | 'head';
  entry_seq: number;
  hash: string;
}

/** The anchors {@link checkAnchor} judges `req` by, in one statement (under the terminal's lock). */
async function readAnchors(tx: Queryable, t: TerminalRow, req: UploadRequest): Promise<AnchorRow[]> {
  const r = await tx.query<AnchorRow>(
    `(SELECT 'latest' AS role, entry_seq, encode(hash, 'hex') AS hash FROM terminal_anchors
        WHERE terminal_id = $1 ORDER BY entry_seq DESC LIMIT 1)
     UNION ALL (SELECT 'first', entry_seq, encode(hash, 'hex') FROM terminal_anchors
        WHERE terminal_id = $1 ORDER BY entry_seq LIMIT 1)
     UNION ALL SELECT 'at', entry_seq, encode(hash, 'hex') FROM terminal_anchors WHERE terminal_id = $1 AND entry_seq = $2
     UNION ALL SELECT 'head', entry_seq, encode(hash, 'hex') FROM terminal_anchors WHERE terminal_id = $1 AND entry_seq = $3`,
    [t.terminal_id, req.atAnchor?.entrySeq ?? null, req.head.entrySeq],
  );
  return r.rows;
}

/**
 * The terminal's journal must agree with every head it anchored before: `atAnchor` repeats the
 * terminal's hash of an anchored entry (null: it no longer has it), the head can't be behind the
 * latest anchor, and a head at an anchored position must be that anchor. A cut or rewritten journal
 * fails here; the terminal is flagged and the upload refused. A head further on is to be anchored
 * (by {@link writeBatch}), once its signature checks out. The anchors this needs (latest, first, at
 * `atAnchor`, at the head) are `rows`, read by {@link readAnchors} under the terminal's lock. `also`,
 * when given, is added to the reason a refusal gives (the upload's payments at seqs held as others).
 */
function checkAnchor(
  rows: AnchorRow[],
  key: crypto.KeyObject,
  req: UploadRequest,
  also: string | null,
): Anchoring {
  const diverged = (why: string): never => {
    throw new CoreError(
      409,
      'JOURNAL_DIVERGED',
      `The terminal's journal disagrees with what it anchored before: ${why}.${also ? ` ${also}` : ''}`,
    );
  };
  const head = req.head;
  const found = new Map(rows.map((row) => [row.role, { entrySeq: row.entry_seq, hash: row.hash }]));
  const latest = found.get('latest') ?? null;
  const unchanged: Anchoring = { insert: null, latest };
  if (latest) {
    if (!req.atAnchor) {
      // Only the very first sync carries no anchor; a late copy of it repeats the first anchored head.
      const f = found.get('first');
      if (f && f.entrySeq === head.entrySeq && f.hash === head.hash) return unchanged;
      return diverged(`it does not refer to anchored entry ${latest.entrySeq}`);
    }
    const storedHash = found.get('at')?.hash;
    if (!storedHash) return diverged(`entry ${req.atAnchor.entrySeq} was never anchored`);
    if (req.atAnchor.hash === null)
      return diverged(`the terminal no longer has anchored entry ${req.atAnchor.entrySeq} (journal cut)`);
    if (req.atAnchor.hash !== storedHash)
      return diverged(`anchored entry ${req.atAnchor.entrySeq} was changed`);
    if (head.entrySeq < req.atAnchor.entrySeq)
      return diverged(`its head ${head.entrySeq} is behind anchored entry ${req.atAnchor.entrySeq}`);
    if (head.entrySeq <= latest.entrySeq) {
      const h = found.get('head')?.hash;
      if (h !== undefined && h !== head.hash)
        return diverged(`entry ${head.entrySeq} differs from the one anchored`);
      return unchanged; // a late copy of an earlier sync: nothing new to anchor
    }
  }
  if (head.entrySeq === 0) return unchanged;
  if (!head.signature)
    throw new CoreError(400, 'BAD_REQUEST', 'head: the journal head must be signed', 'head.signature');
  if (!crypto.verify(null, Buffer.from(head.hash, 'hex'), key, Buffer.from(head.signature, 'base64'))) {
    return diverged(`the signature on head entry ${head.entrySeq} is not the terminal's`);
  }
  // Past the latest anchor (or the first one): once committed, it is the latest.
  return {
    insert: { entrySeq: head.entrySeq, hash: head.hash, signature: head.signature },
    latest: { entrySeq: head.entrySeq, hash: head.hash },
  };
}
