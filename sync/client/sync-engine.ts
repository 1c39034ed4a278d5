/**
 * The terminal's sync engine: sends stored payments to the core in seq order, records what the core
 * decided, anchors the journal head, and resolves payments in doubt.
 *
 * Rules:
 * - One sync at a time: `syncNow()` while the background loop is mid-cycle waits for that cycle.
 * - Transient failures (core unreachable, timeout, lost connection, 5xx) are retried by the loop
 *   with exponential backoff and full jitter, capped; a cycle that fails never retries at once, so a
 *   stuck head can't hot-loop.
 * - Permanent refusals are never retried blindly: a payment the core refuses (conflict, a field it
 *   can't accept) is parked with the reason and shown; the rest keep flowing. A refusal of the
 *   terminal itself (revoked, journal diverged) stops the loop until someone acts.
 * - `status` is one observable object: the kiosk banner, `suanpan queue` and /healthz read it.
 */
import type { Logger } from 'pino';
import type { SyncResultItem } from '../journal/entry.ts';
import { JournalError } from '../journal/errors.ts';
import type { Journal, StoredPayment } from '../journal/journal.ts';
import type { UploadedPayment, UploadRequest, UploadResponse } from '../protocol/wire.ts';
import type { CoreClient } from './core-client.ts';
import { blocksForwarding, CoreRejectedError, isTransient, meansOffline } from './errors.ts';
import { DEFAULT_CANCEL_AFTER_MS, type Resolution, resolvePayment } from './in-doubt.ts';

/** Payments per upload: large enough to amortise a round trip and a commit, small enough for a
 * rural link to carry one batch within the request timeout. */
export const DEFAULT_UPLOAD_BATCH = 500;
/** The smallest batch a timeout halves it to: about 3 KB, under 2 s at 2 KB/s. */
export const MIN_UPLOAD_BATCH = 10;
/**
 * Three batches in flight: while the terminal records one batch's results (its slowest step, a
 * commit of a thousand entries), the core commits the next and has a third parsed and waiting for
 * the terminal's lock, so it never idles on the terminal. With two, the core sat idle whenever the
 * recording outlasted its commit (bench: 8,800–9,100 payments/s against 9,000–10,200 with three).
 * More only queue at the core, which takes one terminal's batches one at a time.
 */
export const DEFAULT_PIPELINE_DEPTH = 3;
export const DEFAULT_RETRY_BASE_MS = 1_000;
/** A terminal offline for days retries at least once a minute once the link is back. */
export const DEFAULT_RETRY_CAP_MS = 60_000;
/** With nothing failing, the loop still syncs this often (anchoring the head, resolving doubts). */
export const DEFAULT_SYNC_INTERVAL_MS = 30_000;

export interface SyncStatus {
  state: 'idle' | 'syncing' | 'waiting' | 'stopped';
  /** Whether the core answered the last attempt; null before any. */
  online: boolean | null;
  pending: number;
  pendingTotals: Record<string, number>;
  inDoubt: number;
  parked: number;
  lastSyncAt: string | null;
  lastError: { code: string; message: string; at: string } | null;
  nextAttemptAt: string | null;
}

export interface SyncReport {
  sent: number;
  settled: number;
  declined: number;
  duplicates: number;
  conflicts: number;
  parked: number;
  /** Payments in doubt whose outcome is now known; of them, those the core had approved. */
  resolved: number;
  resolvedApproved: number;
  /** Parked payments put back in line (syncNow's `retryParked`). */
  unparked: number;
  remaining: number;
}

export interface SyncProgress {
  sent: number;
  total: number;
}

export interface SyncEngineOptions {
  journal: Journal;
  client: CoreClient;
  log: Logger;
  softwareVersion: string;
  batchSize?: number;
  pipelineDepth?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  intervalMs?: number;
  /** How long after capture a payment's own online call may still be in flight. */
  inFlightMs?: number;
  random?: () => number;
  now?: () => Date;
}

export class SyncError extends Error {
  /**
   * What the failed sync had recorded before it failed (results are recorded batch by batch, and
   * stay recorded): the next sync won't count those payments again.
   */
  recorded?: SyncReport;

  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}

export class SyncEngine {
  private running: Promise<SyncReport> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** A smaller batch after a timeout (a slow link), until a sync succeeds; null: the configured size. */
  private shrunkBatch: number | null = null;
  /** False once a core refused the field as unknown (an older core), for this engine's life. */
  private sendsClockOffset = true;
  private stopped = true;
  private listeners = new Set<(s: SyncStatus) => void>();
  private current: SyncStatus;

  constructor(private readonly options: SyncEngineOptions) {
    this.current = this.readStatus({ state: 'idle', online: null, lastError: null, nextAttemptAt: null });
  }

  get status(): SyncStatus {
    return this.current;
  }

  onStatus(listener: (s: SyncStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the status satisfies `predicate` (or rejects after `timeoutMs`). */
  waitForStatus(predicate: (s: SyncStatus) => boolean, timeoutMs = 60_000): Promise<SyncStatus> {
    if (predicate(this.current)) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`sync status not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStatus((s) => {
        if (!predicate(s)) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
    });
  }

  /** Starts the background loop: a sync now, then on the interval or after a backoff. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop and waits for a cycle in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    this.publish({ state: 'stopped', nextAttemptAt: null });
  }

  /** A payment was stored: sync soon rather than at the next interval. */
  nudge(): void {
    if (!this.stopped && !this.running && this.failures === 0) this.schedule(0);
  }

  /**
   * One sync now (after any cycle in progress). `retryParked`: the parked payments are put back in
   * line once the core has answered (a conflict parks again at once; the others go through).
   */
  async syncNow(
    onProgress?: (p: SyncProgress) => void,
    options: { retryParked?: boolean } = {},
  ): Promise<SyncReport> {
    while (this.running) await this.running.catch(() => {});
    const run = this.cycle(onProgress, options);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const at = new Date(this.now().getTime() + delayMs).toISOString();
    this.publish({ state: delayMs > 0 ? 'waiting' : this.current.state, nextAttemptAt: at });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.syncNow().then(
        () => {
          this.failures = 0;
          this.schedule(this.options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
        },
        (err) => {
          if (err instanceof SyncError && err.permanent) {
            this.options.log.error({ code: err.code, err: err.message }, 'sync stopped: needs attention');
            this.stopped = true;
            this.publish({ state: 'stopped', nextAttemptAt: null });
            return;
          }
          this.failures += 1;
          this.schedule(this.backoff(this.failures));
        },
      );
    }, delayMs);
    this.timer.unref?.();
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): uniform in [0, min(cap, base·2^n)]. */
  backoff(failures: number): number {
    const base = this.options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    const cap = this.options.retryCapMs ?? DEFAULT_RETRY_CAP_MS;
    const ceiling = Math.min(cap, base * 2 ** Math.min(failures, 30));
    return Math.floor((this.options.random ?? Math.random)() * ceiling);
  }

  private async cycle(
    onProgress: ((p: SyncProgress) => void) | undefined,
    options: { retryParked?: boolean } = {},
  ): Promise<SyncReport> {
    const { journal, client, log } = this.options;
    this.publish({ state: 'syncing' });
    const report: SyncReport = {
      sent: 0,
      settled: 0,
      declined: 0,
      duplicates: 0,
      conflicts: 0,
      parked: 0,
      resolved: 0,
      resolvedApproved: 0,
      unparked: 0,
      remaining: 0,
    };
    try {
      const state = await client.syncState();
      this.publish({ online: true });
      // The core holds payments of this terminal beyond this journal's last: this is an older copy
      // (a data folder restored from a backup). Sending from it would anchor a head that is not the
      // terminal's and give its seqs to new payments the core already holds as others.
      const own = journal.highestSeq();
      if (state.highestContiguousSeq > own) {
        // Older than the head the core anchored, too (that entry cut or changed here): the core
        // finds it from the anchor alone and flags the terminal for its operator, so let it.
        const anchor = state.anchor;
        if (anchor && journal.entryHashAt(anchor.entrySeq) !== anchor.hash) {
          await this.uploadBatch([], anchor, report);
        }
        throw new SyncError(
          'JOURNAL_BEHIND',
          `The core holds this terminal's payments up to seq ${state.highestContiguousSeq}, but this journal ends at seq ${own}: it is an older copy (a data folder restored from a backup, or a disk that lost what it had written?), and the payments after seq ${own} are missing from it. Nothing was sent.`,
          true,
        );
      }
      // Only now: had the core been out of reach, the reasons they were parked for would be lost.
      if (options.retryParked) report.unparked = journal.unpark();
      Object.assign(report, await this.resolveDoubts());
      // The core's contiguous count stops at a payment parked here (it will never get it): past such
      // a gap, start where this terminal knows it has uploaded everything else.
      const info = journal.syncInfo();
      const parkedGap = info.parked.some((p) => p.seq === state.highestContiguousSeq + 1);
      const held = parkedGap
        ? Math.max(state.highestContiguousSeq, info.uploadedThroughSeq)
        : state.highestContiguousSeq;
      await this.collectLostResults(held, state.anchor, report);
      let from = held;
      let anchor = state.anchor;
      let contiguous = state.highestContiguousSeq;
      const total = journal.countUploadCandidates(from);
      onProgress?.({ sent: 0, total });
      const batchSize = this.batchSize();
      const depth = this.options.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH;
      // Up to `depth` batches in flight: the terminal prepares and records one while the core
      // commits another. Each batch's results are recorded when its own answer arrives.
      const inflight: Promise<{ response: UploadResponse; sent: StoredPayment[] }>[] = [];
      const settle = async (next: Promise<{ response: UploadResponse; sent: StoredPayment[] }>) => {
        const { response, sent } = await next;
        if (response.anchor && (!anchor || response.anchor.entrySeq >= anchor.entrySeq))
          anchor = response.anchor;
        contiguous = Math.max(contiguous, response.highestContiguousSeq);
        report.sent += sent.length;
        onProgress?.({ sent: report.sent, total });
      };
      try {
        for (;;) {
          const batch = journal.uploadCandidates(from, batchSize);
          if (batch.length === 0) break;
          from = (batch.at(-1) as StoredPayment).seq;
          const sending = this.uploadBatch(batch, anchor, report);
          // A later batch may fail while an earlier one is awaited: handled here, thrown by settle.
          sending.catch(() => {});
          inflight.push(sending);
          if (inflight.length >= depth) await settle(inflight.shift() as (typeof inflight)[number]);
        }
        while (inflight.length > 0) await settle(inflight.shift() as (typeof inflight)[number]);
      } catch (err) {
        // Let every batch in flight finish recording before the cycle gives up.
        await Promise.allSettled(inflight);
        throw err;
      }
      // The head has moved by the results recorded: anchor it as it now is.
      await settle(this.uploadBatch([], anchor, report));
      const stats = journal.offlineStats();
      report.remaining = stats.pending;
      // Payments still in doubt were not sent: the mark stops before the first of them.
      const firstInDoubt = journal.inDoubt()[0]?.seq ?? Number.POSITIVE_INFINITY;
      journal.recordSyncAttempt({
        error: null,
        coreContiguousSeq: contiguous,
        uploadedThroughSeq: Math.min(from, firstInDoubt - 1),
        anchor,
      });
      this.shrunkBatch = null;
      this.publish({ state: 'idle', lastError: null });
      log.info({ ...report }, 'sync done');
      return report;
    } catch (err) {
      const failure = this.classify(err);
      failure.recorded = report;
      if (failure.code === 'CORE_TIMEOUT') {
        // A batch too big for the link's speed would time out again on every retry: halve it.
        this.shrunkBatch = Math.max(MIN_UPLOAD_BATCH, Math.floor(this.batchSize() / 2));
      }
      try {
        journal.recordSyncAttempt({
          error: { code: failure.code, message: failure.message },
          blocksForwarding: failure.permanent && blocksForwarding(failure.code),
        });
      } catch (recordErr) {
        // A full disk that stopped the sync may stop this too: the sync's own error is the answer.
        log.warn({ err: (recordErr as Error).message }, 'the failed sync could not be recorded');
      }
      this.publish({
        state: 'idle',
        online: !meansOffline(failure.code),
        lastError: { code: failure.code, message: failure.message, at: this.now().toISOString() },
      });
      log.warn({ code: failure.code, err: failure.message }, 'sync failed');
      throw failure;
    }
  }

  /** Sends one batch (possibly empty: an anchor) and records the results. */
  private async uploadBatch(
    batch: StoredPayment[],
    anchor: { entrySeq: number; hash: string } | null,
    report: SyncReport,
  ): Promise<{ response: UploadResponse; sent: StoredPayment[] }> {
    const { journal, client } = this.options;
    let sending = batch;
    for (;;) {
      const payments: UploadedPayment[] = [];
      const unsendable: StoredPayment[] = [];
      for (const p of sending) {
        const u = toUploaded(p, this.sendsClockOffset);
        if (u) payments.push(u);
        else unsendable.push(p);
      }
      for (const p of unsendable) {
        journal.park(p.seq, 'its payment code is no longer on the terminal, so the core cannot take it');
        report.parked += 1;
      }
      if (unsendable.length > 0) sending = sending.filter((p) => !unsendable.includes(p));
      const request: UploadRequest = {
        payments,
        head: journal.signedHead(),
        atAnchor: anchor ? { entrySeq: anchor.entrySeq, hash: journal.entryHashAt(anchor.entrySeq) } : null,
        queueDepth: journal.offlineStats().pending,
        softwareVersion: this.options.softwareVersion,
      };
      let response: UploadResponse;
      try {
        response = await client.upload(request);
      } catch (err) {
        // A core older than the capture's clock offset (terminals upgraded before it) refuses the
        // field as unknown: sent without it, the core judges by the offset it measures, as before.
        // (Another batch in flight may meet it too: each is sent again without it.)
        if (
          err instanceof CoreRejectedError &&
          err.status === 400 &&
          /^payments\.\d+\.clockOffsetMs$/.test(err.field ?? '') &&
          /unknown field/.test(err.message)
        ) {
          if (this.sendsClockOffset) {
            this.options.log.warn(
              { err: err.message },
              "the core doesn't take a payment's clock offset yet (an older core): sending without it",
            );
          }
          this.sendsClockOffset = false;
          continue;
        }
        // The head went unsigned because this terminal won't sign it (changed without its key),
        // and the core found nothing else amiss: that is the answer, for good.
        const unsigned = request.head.signature === null ? journal.unsignedHeadProblem() : null;
        if (unsigned && err instanceof CoreRejectedError && err.field === 'head.signature') throw unsigned;
        // A field the core can't accept, in one payment: park that one, send the rest.
        const index =
          err instanceof CoreRejectedError && err.status === 400
            ? /^payments\.(\d+)\./.exec(err.field ?? '')
            : null;
        const culprit = index ? sending[Number(index[1])] : undefined;
        if (culprit) {
          journal.park(culprit.seq, `the core refused it: ${(err as Error).message}`);
          report.parked += 1;
          sending = sending.filter((p) => p !== culprit);
          continue;
        }
        throw err;
      }
      this.apply(response, sending, report);
      return { response, sent: sending };
    }
  }

  /** Records the core's decisions on payments stored offline; parks conflicts. */
  private apply(response: UploadResponse, sent: StoredPayment[], report: SyncReport): void {
    const { journal } = this.options;
    const local = new Map(sent.map((p) => [p.paymentId, p]));
    const changes: SyncResultItem[] = [];
    for (const r of response.results) {
      if (r.duplicate) report.duplicates += 1;
      const p = local.get(r.paymentId);
      if (p?.status !== 'accepted_offline') continue;
      if (r.state !== 'settled' && r.state !== 'declined_after_sync') {
        // The core holds this id as an online payment: not what this terminal stored. Set it aside
        // for an operator rather than guess which record is right.
        journal.park(p.seq, `the core has this payment as ${r.state}, but it was stored offline here`);
        report.parked += 1;
        report.conflicts += 1;
        continue;
      }
      changes.push(
        r.state === 'settled'
          ? { paymentId: r.paymentId, seq: p.seq, status: 'settled' }
          : {
              paymentId: r.paymentId,
              seq: p.seq,
              status: 'declined_after_sync',
              reason: r.reason ?? 'declined by the core',
            },
      );
    }
    // Counted once recorded, and only what this sync moved: another sync of this data folder (the
    // kiosk's loop and `suanpan sync` at once) may have recorded some of them already.
    for (const moved of journal.recordResults(changes)) {
      if (moved.status === 'settled') report.settled += 1;
      else if (moved.status === 'declined_after_sync') report.declined += 1;
    }
    for (const c of response.conflicts) {
      journal.park(c.seq, `conflict at the core: ${c.reason}`);
      report.conflicts += 1;
      report.parked += 1;
    }
  }

  /**
   * Payments the core already holds (seq ≤ its contiguous seq) that the terminal still has as stored
   * offline: their answer was lost. Their results are fetched, not the payments sent again. A
   * result naming another payment at a seq means two journals: reported to the core, then refused.
   */
  private async collectLostResults(
    upToSeq: number,
    anchor: { entrySeq: number; hash: string } | null,
    report: SyncReport,
  ): Promise<void> {
    const { journal, client } = this.options;
    const waiting = journal.awaitingResults(upToSeq);
    const batchSize = this.batchSize();
    for (let i = 0; i < waiting.length; ) {
      const from = (waiting[i] as StoredPayment).seq;
      const page = await client.results(from, batchSize);
      if (page.results.length === 0) break;
      const last = (page.results.at(-1) as { seq: number }).seq;
      const slice: StoredPayment[] = [];
      while (i < waiting.length && (waiting[i] as StoredPayment).seq <= last)
        slice.push(waiting[i++] as StoredPayment);
      // The core's payment at a seq is another than this journal's: the two journals parted.
      const bySeq = new Map(slice.map((p) => [p.seq, p]));
      const parted = page.results.flatMap((r) => {
        const mine = bySeq.get(r.seq);
        return mine && mine.paymentId !== r.paymentId ? [{ theirs: r.paymentId, mine }] : [];
      });
      const first = parted[0];
      if (first) {
        const flagged = await this.reportDivergence(
          parted.map((x) => x.mine),
          anchor,
        );
        throw new SyncError(
          'JOURNAL_DIVERGED',
          `The core holds seq ${first.mine.seq} of this terminal as payment ${first.theirs}, but this journal has payment ${first.mine.paymentId} there: it is not the journal the core knows (a restored or copied data folder?). Nothing was recorded.${flagged ? " The core's operator is alerted." : ''}`,
          true,
        );
      }
      const duplicatesBefore = report.duplicates;
      this.apply(
        { results: page.results, conflicts: [], highestContiguousSeq: upToSeq, anchor: null },
        slice,
        report,
      );
      report.duplicates = duplicatesBefore; // fetched results are not re-sent payments
    }
  }

  /**
   * Shows the core this journal's payments at seqs where it holds others, so that it flags the
   * terminal for its operator: they are uploaded with the head and anchor any sync sends. The core
   * takes none of them. Its anchor check finds this journal parted from the heads it anchored, and
   * refuses the upload; or, when this journal still holds them (the other copy's payments did not
   * move the anchor: taken online), it finds a payment at a seq it holds as another and refuses the
   * upload just the same. Either way it records an integrity alert. Nothing of the answer
   * is recorded here, and a failure to send changes nothing: the sync fails with this journal's
   * own JOURNAL_DIVERGED all the same. Returns whether the core flagged the terminal.
   */
  private async reportDivergence(
    parted: StoredPayment[],
    anchor: { entrySeq: number; hash: string } | null,
  ): Promise<boolean> {
    const { journal, client, log } = this.options;
    const payments = parted
      .map((p) => toUploaded(p, this.sendsClockOffset))
      .filter((u): u is UploadedPayment => u !== null);
    const atAnchor = anchor
      ? { entrySeq: anchor.entrySeq, hash: journal.entryHashAt(anchor.entrySeq) }
      : null;
    // Without a payment to show (their codes gone), only an anchor this journal parted from shows
    // anything; a head that extends it would be anchored as the terminal's.
    if (payments.length === 0 && atAnchor?.hash === anchor?.hash) return false;
    try {
      await client.upload({
        payments,
        head: journal.signedHead(),
        atAnchor,
        queueDepth: journal.offlineStats().pending,
        softwareVersion: this.options.softwareVersion,
      });
      // An answer, not a refusal: the core saw nothing amiss there (a race with another sync).
      return false;
    } catch (err) {
      if (err instanceof CoreRejectedError && err.code === 'JOURNAL_DIVERGED') return true;
      log.warn({ err: (err as Error).message }, 'the diverged journal could not be shown to the core');
      return false;
    }
  }

  private async resolveDoubts(): Promise<{ resolved: number; resolvedApproved: number }> {
    const { journal, client } = this.options;
    let resolved = 0;
    let resolvedApproved = 0;
    for (const p of journal.inDoubt()) {
      let r: Resolution;
      try {
        r = await resolvePayment(journal, client, p, {
          inFlightMs: this.options.inFlightMs ?? 60_000,
          cancelAfterMs: DEFAULT_CANCEL_AFTER_MS,
          now: () => this.now(),
        });
      } catch (err) {
        // The core refuses to query or cancel this one (it holds different facts under its id):
        // asking again will not help. Set it aside with the reason; the others still resolve.
        if (!(err instanceof CoreRejectedError) || err.status >= 500 || isTransient(err)) throw err;
        journal.park(p.seq, `the core refused to resolve it: ${err.message}`);
        continue;
      }
      if (r !== 'still_unknown') resolved += 1;
      if (r === 'approved') resolvedApproved += 1;
    }
    return { resolved, resolvedApproved };
  }

  private batchSize(): number {
    return this.shrunkBatch ?? this.options.batchSize ?? DEFAULT_UPLOAD_BATCH;
  }

  private classify(err: unknown): SyncError {
    if (err instanceof SyncError) return err;
    const e = err as Error & { code?: string };
    if (err instanceof CoreRejectedError) {
      const permanent = [
        'TERMINAL_REVOKED',
        'UNKNOWN_TERMINAL',
        'JOURNAL_DIVERGED',
        'BAD_SIGNATURE',
      ].includes(err.code);
      return new SyncError(err.code, err.message, permanent, { cause: err });
    }
    if (err instanceof JournalError) {
      // A busy, full or failing disk may clear; a payment moved on by checkout meanwhile will too.
      const passing = ['BUSY', 'DISK_FULL', 'IO', 'ILLEGAL_TRANSITION'].includes(err.code);
      return new SyncError(err.code, err.message, !passing, { cause: err });
    }
    return new SyncError(e.code ?? 'SYNC_FAILED', e.message, !isTransient(err), { cause: err });
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  private readStatus(base: Pick<SyncStatus, 'state' | 'online' | 'lastError' | 'nextAttemptAt'>): SyncStatus {
    const { journal } = this.options;
    const stats = journal.offlineStats();
    const info = journal.syncInfo();
    return {
      ...base,
      pending: stats.pending,
      pendingTotals: stats.totals,
      inDoubt: stats.inDoubt,
      parked: info.parked.length,
      lastSyncAt: info.lastSyncAt,
    };
  }

  private publish(change: Partial<SyncStatus>): void {
    const merged = { ...this.current, ...change };
    this.current = this.readStatus(merged);
    for (const l of this.listeners) l(this.current);
  }
}

/** The wire form of a stored payment; null when it can't be sent (its raw code is gone). */
export function toUploaded(p: StoredPayment, withClockOffset = true): UploadedPayment | null {
  // Literals rather than spreads of a shared `facts` object: built for every payment of a batch.
  const { paymentId, seq, amount, scheme, codeHash, capturedAt } = p;
  if (p.status === 'accepted_offline') {
    if (!p.code) return null;
    const { code, clockOffsetMs } = p;
    return clockOffsetMs === null || !withClockOffset
      ? { paymentId, seq, amount, scheme, codeHash, capturedAt, state: 'accepted_offline', code }
      : {
          paymentId,
          seq,
          amount,
          scheme,
          codeHash,
          capturedAt,
          state: 'accepted_offline',
          code,
          clockOffsetMs,
        };
  }
  if (p.status === 'captured' || p.status === 'unknown') return null;
  const record: UploadedPayment = {
    paymentId,
    seq,
    amount,
    scheme,
    codeHash,
    capturedAt,
    state: p.status,
    mode: p.mode ?? 'offline',
  };
  if (p.reason) record.reason = p.reason.slice(0, 500);
  return record;
}
