/**
 * Checkout: turns an amount and a scanned payment code into a recorded payment.
 *
 * With a core: capture (committed), then authorise online; approved or declined as the core says;
 * core unreachable → the offline policy decides; no answer in time → `unknown`, resolved at once by
 * query and cancel when the core answers those, else by the next sync. Without a core: the offline policy decides at capture, in the same transaction.
 * Or by the merchant's QR (`presentQr`): an order at the core that the customer's wallet pays.
 * The returned payment is committed and fsynced: only then may the cashier be told.
 */
import crypto from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DEFAULT_CANCEL_AFTER_MS, resolvePayment } from '../../sync/client/in-doubt.ts';
import type {
  CaptureInput,
  Decision,
  Journal,
  OfflineStats,
  PaymentRecord,
  StoredPayment,
} from '../../sync/journal/journal.ts';
import { type Money, PaymentAmount } from '../../sync/protocol/money.ts';
import {
  type CancelResponse,
  ORDER_SCHEME,
  ORDER_VALID_S,
  type OrderResponse,
  type QueryResponse,
} from '../../sync/protocol/wire.ts';
import type { OfflineLimits } from '../config/settings.ts';
import { recordingAnswer } from './errors.ts';
import { evaluateOfflinePolicy, type OfflineRefusal } from './offline-policy.ts';
import { classifyPaymentCode, type SchemeRule } from './payment-code.ts';
import {
  blocksForwarding,
  CoreRejectedError,
  CoreUnreachableError,
  OFFLINE_CODES,
  type PaymentCore,
} from './payment-core.ts';

export interface CheckoutOptions {
  journal: Journal;
  limits: OfflineLimits;
  digestCode: (code: string) => Buffer;
  core?: PaymentCore | null;
  coreTimeoutMs?: number;
  schemes?: readonly SchemeRule[];
  /**
   * (core clock − terminal clock) as known now, recorded with each payment; undefined: not known
   * (see device/core-clock.ts).
   */
  clockOffset?: () => number | undefined;
  now?: () => Date;
  log: Logger;
}

export interface PaymentOutcome {
  payment: PaymentRecord;
  /** For a payment the offline policy declined: every limit it broke. */
  refusals: OfflineRefusal[];
}

/** How often the kiosk asks the core whether a QR order is paid (Alipay: every 3–5 s; a LAN allows 1 s). */
export const QR_POLL_MS = 1_000;

export interface QrHooks {
  /** The order is made: show `text` as a QR until the payment is decided. */
  onOrder(order: { paymentId: string; text: string; expiresAt: string }): void;
  /** Aborted when the cashier cancels: the order is cancelled at the core. */
  signal?: AbortSignal;
  /** How long to wait for the customer (default: the order's life, ORDER_VALID_S). */
  waitMs?: number;
  pollMs?: number;
}

export class Checkout {
  constructor(private readonly options: CheckoutOptions) {}

  /**
   * Takes a payment. Throws AmountError or PaymentCodeError for bad input (nothing recorded) and
   * JournalError when the journal refuses (code already used, not durable, disk full, ...).
   */
  async pay(request: { amount: Money; code: string }): Promise<PaymentOutcome> {
    const { journal, log } = this.options;
    const amount = PaymentAmount.parse(request.amount);
    const code = classifyPaymentCode(request.code, this.options.schemes);
    const clockOffsetMs = this.options.clockOffset?.();
    const input: CaptureInput = {
      amount,
      scheme: code.scheme,
      code: code.code,
      codeHash: this.options.digestCode(code.code),
      codeMasked: code.masked,
      ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
    };
    let refusals: OfflineRefusal[] = [];
    const decideOffline = (stats: OfflineStats): Decision => {
      refusals = evaluateOfflinePolicy(this.options.limits, stats, amount, this.now());
      return refusals.length === 0
        ? { status: 'accepted_offline', mode: 'offline' }
        : {
            status: 'declined',
            mode: 'offline',
            reason: refusals.map((r) => r.message).join(' '),
            details: { limits: refusals.map(({ message: _m, ...rest }) => rest) },
          };
    };

    const core = this.options.core;
    let payment: PaymentRecord;
    if (!core) {
      payment = journal.capture(input, decideOffline);
    } else {
      const captured = journal.capture(input);
      payment = await this.authoriseOnline(core, captured, input, decideOffline);
    }
    log.info(
      {
        paymentId: payment.paymentId,
        seq: payment.seq,
        status: payment.status,
        mode: payment.mode,
        amount: payment.amount,
        scheme: payment.scheme,
      },
      'payment recorded',
    );
    return { payment, refusals };
  }

  private async authoriseOnline(
    core: PaymentCore,
    captured: PaymentRecord,
    input: { code: string; codeHash: Buffer },
    decideOffline: (stats: OfflineStats) => Decision,
  ): Promise<PaymentRecord> {
    const { journal, log } = this.options;
    const timeoutMs = this.options.coreTimeoutMs ?? 15_000;
    let result: Awaited<ReturnType<PaymentCore['authorise']>>;
    try {
      result = await core.authorise(
        {
          paymentId: captured.paymentId,
          seq: captured.seq,
          amount: captured.amount,
          scheme: captured.scheme,
          codeHash: input.codeHash.toString('hex'),
          capturedAt: captured.capturedAt,
          code: input.code,
        },
        { timeoutMs },
      );
    } catch (err) {
      if (err instanceof CoreUnreachableError) {
        log.warn(
          { paymentId: captured.paymentId, err: err.message },
          'core unreachable: offline policy decides',
        );
        const decided = journal.transition(captured.paymentId, decideOffline);
        // What `suanpan queue` reports as the sync status: the core was tried just now, not reached.
        try {
          journal.recordSyncAttempt({ error: { code: err.code, message: err.message } });
        } catch (recordErr) {
          log.warn({ err: (recordErr as Error).message }, 'could not record the failed attempt');
        }
        return decided;
      }
      if (err instanceof CoreRejectedError && err.permanent) {
        // The core refused the request itself (revoked terminal, conflict): nothing was charged.
        log.error(
          { paymentId: captured.paymentId, code: err.code, err: err.message },
          'core refused the payment',
        );
        const declined = journal.transition(captured.paymentId, {
          status: 'declined',
          mode: 'online',
          reason: `the core refused it: ${err.message}`,
        });
        this.recordBlock(err);
        return declined;
      }
      // A timeout, a broken connection, a 5xx: the core may have the payment. It is in doubt, and is
      // resolved by query, then cancel, right now if the core answers, else by the next sync.
      const answered = err instanceof CoreRejectedError;
      log.warn(
        { paymentId: captured.paymentId, err: (err as Error).message },
        answered
          ? 'the core answered with an error: payment in doubt'
          : 'no answer from the core: payment in doubt',
      );
      const what = answered
        ? `The payment core answered with an error (HTTP ${err.status}: ${err.message.replace(/\.$/, '')})`
        : 'No answer from the payment core in time';
      recordingAnswer(captured, 'in_doubt', () =>
        journal.transition(captured.paymentId, {
          status: 'unknown',
          mode: 'online',
          reason: `${what}: the payment is in doubt, and the customer may already have been charged. Do not take the money another way: the terminal asks the core again at each sync until it answers (\`suanpan sync\` asks now); if it went through it is approved, and if not it is cancelled.`,
        }),
      );
      return this.resolve(core, captured.paymentId);
    }
    // Outside the try: a journal that fails to record the answer is a journal error, not a core
    // that gave no answer; and when the core approved, one that says the customer has paid.
    const recorded =
      result.outcome === 'approved'
        ? recordingAnswer(captured, 'approved', () =>
            journal.transition(captured.paymentId, { status: 'approved', mode: 'online' }),
          )
        : journal.transition(captured.paymentId, {
            status: 'declined',
            mode: 'online',
            reason: result.reason ?? 'declined by the core',
          });
    // The core answered: `suanpan queue` no longer says it was not reached last time.
    try {
      journal.recordCoreReached(OFFLINE_CODES);
    } catch (recordErr) {
      log.warn({ err: (recordErr as Error).message }, 'could not record that the core answered');
    }
    return recorded;
  }

  /**
   * Takes a payment by the merchant's QR (Alipay's "precreate"): captures it (committed: its seq is
   * taken), asks the core for an order, hands its QR to `hooks.onOrder`, then asks the core every
   * `pollMs` until the customer has paid. When the cashier aborts `hooks.signal`, or after the
   * order's life (ORDER_VALID_S), the order is cancelled at the core (which reverses it if the
   * customer paid at that very moment) and the payment recorded declined. There is no offline path:
   * a core out of reach declines it at once, with words saying to scan the customer's code instead.
   * An order the core can't be asked about stays `unknown`, for the sync's query-then-cancel.
   */
  async presentQr(request: { amount: Money }, hooks: QrHooks): Promise<PaymentOutcome> {
    const { journal, log } = this.options;
    const core = this.options.core;
    if (!core?.createOrder) throw new Error('A QR payment needs a payment core that takes orders.');
    const amount = PaymentAmount.parse(request.amount);
    // No customer code: a random token stands in, so the journal's rules (a hash per payment,
    // never reused) hold. It is erased like a code once the payment is decided.
    const token = `qr-${crypto.randomBytes(16).toString('hex')}`;
    const codeHash = this.options.digestCode(token);
    const captured = journal.capture({
      amount,
      scheme: ORDER_SCHEME,
      code: token,
      codeHash,
      codeMasked: 'QR',
    });
    const { paymentId } = captured;
    const facts = {
      seq: captured.seq,
      amount: captured.amount,
      scheme: captured.scheme,
      codeHash: codeHash.toString('hex'),
      capturedAt: captured.capturedAt,
    };
    const timeoutMs = this.options.coreTimeoutMs ?? 15_000;
    let order: OrderResponse;
    try {
      order = await core.createOrder({ paymentId, ...facts }, { timeoutMs });
    } catch (err) {
      const payment = await this.orderFailed(core, captured, err);
      return { payment, refusals: [] };
    }
    log.info({ paymentId, seq: captured.seq, expiresAt: order.expiresAt }, 'QR order shown');
    hooks.onOrder({ paymentId, text: order.qr, expiresAt: order.expiresAt });

    const waitMs = hooks.waitMs ?? ORDER_VALID_S * 1000;
    const pollMs = hooks.pollMs ?? QR_POLL_MS;
    const deadline = Date.now() + waitMs;
    while (!hooks.signal?.aborted && Date.now() < deadline) {
      // Ends early when the cashier cancels (the abort rejects; the loop's test then stops it).
      await wait(Math.min(pollMs, Math.max(0, deadline - Date.now())), undefined, {
        signal: hooks.signal,
      }).catch(() => {});
      if (hooks.signal?.aborted) break;
      let answer: QueryResponse;
      try {
        answer = await core.query(paymentId, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        // The customer may still pay: keep asking until the order's time is up.
        log.debug({ paymentId, err: (err as Error).message }, 'QR order: no answer to this query');
        continue;
      }
      if (answer.state === 'pending') continue;
      const payment = this.recordOrderAnswer(captured, answer.state, answer.reason);
      log.info({ paymentId, status: payment.status }, 'QR order answered');
      return { payment, refusals: [] };
    }

    const reason = hooks.signal?.aborted
      ? 'cancelled at the till before the customer paid'
      : `the customer did not pay within ${Math.round(waitMs / 1000)} s`;
    let cancelled: CancelResponse;
    try {
      cancelled = await core.cancel(paymentId, facts, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      log.warn({ paymentId, err: (err as Error).message }, 'QR order not cancelled: in doubt');
      const payment = recordingAnswer(captured, 'in_doubt', () =>
        journal.transition(paymentId, {
          status: 'unknown',
          mode: 'online',
          reason: `${reason}; the order could not be cancelled at the payment core yet, so it is checked and cancelled at the next sync.`,
        }),
      );
      return { payment, refusals: [] };
    }
    const payment = this.recordOrderAnswer(
      captured,
      cancelled.state,
      cancelled.outcome === 'cancelled' ? reason : cancelled.reason,
    );
    log.info({ paymentId, status: payment.status, reason }, 'QR order ended');
    return { payment, refusals: [] };
  }

  /** The core's word on a QR order, recorded: paid is approved, anything else declined. */
  private recordOrderAnswer(
    captured: PaymentRecord,
    state: string,
    reason: string | undefined,
  ): PaymentRecord {
    const { paymentId } = captured;
    return state === 'approved' || state === 'settled'
      ? recordingAnswer(captured, 'approved', () =>
          this.options.journal.transition(paymentId, { status: 'approved', mode: 'online' }),
        )
      : this.options.journal.transition(paymentId, {
          status: 'declined',
          mode: 'online',
          reason: reason ?? `the payment core has the order as ${state}`,
        });
  }

  /** The order could not be made: declined when nothing reached the core, else in doubt. */
  private async orderFailed(
    core: PaymentCore,
    captured: PaymentRecord,
    err: unknown,
  ): Promise<PaymentRecord> {
    const { journal, log } = this.options;
    const { paymentId } = captured;
    if (err instanceof CoreUnreachableError) {
      log.warn({ paymentId, err: err.message }, 'core unreachable: no QR order');
      return journal.transition(paymentId, {
        status: 'declined',
        mode: 'online',
        reason:
          "The payment core can't be reached, and a QR payment needs it: scan the customer's payment code instead.",
      });
    }
    if (err instanceof CoreRejectedError && err.permanent) {
      log.error({ paymentId, code: err.code, err: err.message }, 'core refused the QR order');
      const declined = journal.transition(paymentId, {
        status: 'declined',
        mode: 'online',
        reason: `the core refused it: ${err.message}`,
      });
      this.recordBlock(err);
      return declined;
    }
    // The order may exist at the core: query, then cancel, as for an authorisation without answer.
    log.warn({ paymentId, err: (err as Error).message }, 'no answer to the QR order: in doubt');
    recordingAnswer(captured, 'in_doubt', () =>
      journal.transition(paymentId, {
        status: 'unknown',
        mode: 'online',
        reason:
          'No answer from the payment core in time: the QR order is in doubt. Do not take the money another way: the terminal asks the core again at each sync whether the customer paid (`suanpan sync` asks now); if not, the order is cancelled.',
      }),
    );
    return this.resolve(core, paymentId);
  }

  /**
   * A refusal of the terminal itself (revoked, its journal diverged) is recorded as a sync's would
   * be: no payment is taken offline that could never be forwarded.
   */
  private recordBlock(err: CoreRejectedError): void {
    if (!blocksForwarding(err.code)) return;
    try {
      this.options.journal.recordSyncAttempt({
        error: { code: err.code, message: err.message },
        blocksForwarding: true,
      });
    } catch (recordErr) {
      this.options.log.warn({ err: (recordErr as Error).message }, 'could not record the refusal');
    }
  }

  /** Query, then cancel (see sync/client/in-doubt.ts). Stays `unknown` if the core can't be asked now. */
  private async resolve(core: PaymentCore, paymentId: string): Promise<PaymentRecord> {
    const { journal, log } = this.options;
    const stored = journal.storedPayment(paymentId) as StoredPayment;
    try {
      await resolvePayment(journal, core, stored, {
        inFlightMs: 0,
        cancelAfterMs: DEFAULT_CANCEL_AFTER_MS,
        now: () => this.now(),
        callTimeoutMs: this.options.coreTimeoutMs ?? 15_000,
      });
    } catch (err) {
      log.warn(
        { paymentId, err: (err as Error).message },
        'payment still in doubt; the next sync resolves it',
      );
    }
    return journal.payment(paymentId) as PaymentRecord;
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }
}
