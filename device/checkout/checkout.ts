/**
 * Checkout: turns an amount and a scanned payment code into a recorded payment.
 *
 * With a core: capture (committed), then authorise online; approved or declined as the core says;
 * core unreachable → the offline policy decides; no answer in time → `unknown`, resolved at once by
 * query and cancel when the core answers those, else by the next sync. Without a core: the offline policy decides at capture, in the same transaction.
 * The returned payment is committed and fsynced: only then may the cashier be told.
 */
import type { Logger } from 'pino';
import { DEFAULT_CANCEL_AFTER_MS, resolvePayment } from '../../sync/client/in-doubt.ts';
import type {
  Decision,
  Journal,
  OfflineStats,
  PaymentRecord,
  StoredPayment,
} from '../../sync/journal/journal.ts';
import { type Money, PaymentAmount } from '../../sync/protocol/money.ts';
import type { OfflineLimits } from '../config/settings.ts';
import { evaluateOfflinePolicy, type OfflineRefusal } from './offline-policy.ts';
import { classifyPaymentCode, type SchemeRule } from './payment-code.ts';
import { CoreRejectedError, CoreUnreachableError, type PaymentCore } from './payment-core.ts';

export interface CheckoutOptions {
  journal: Journal;
  limits: OfflineLimits;
  digestCode: (code: string) => Buffer;
  core?: PaymentCore | null;
  coreTimeoutMs?: number;
  schemes?: readonly SchemeRule[];
  now?: () => Date;
  log: Logger;
}

export interface PaymentOutcome {
  payment: PaymentRecord;
  /** For a payment the offline policy declined: every limit it broke. */
  refusals: OfflineRefusal[];
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
    const input = {
      amount,
      scheme: code.scheme,
      code: code.code,
      codeHash: this.options.digestCode(code.code),
      codeMasked: code.masked,
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
        return journal.transition(captured.paymentId, decideOffline);
      }
      if (err instanceof CoreRejectedError && err.permanent) {
        // The core refused the request itself (revoked terminal, conflict): nothing was charged.
        log.error(
          { paymentId: captured.paymentId, code: err.code, err: err.message },
          'core refused the payment',
        );
        return journal.transition(captured.paymentId, {
          status: 'declined',
          mode: 'online',
          reason: `the core refused it: ${err.message}`,
        });
      }
      // A timeout, a broken connection, a 5xx: the core may have the payment. It is in doubt, and is
      // resolved by query, then cancel, right now if the core answers, else by the next sync.
      log.warn(
        { paymentId: captured.paymentId, err: (err as Error).message },
        'no answer from the core: payment in doubt',
      );
      journal.transition(captured.paymentId, {
        status: 'unknown',
        mode: 'online',
        reason:
          'No answer from the payment core in time; the payment is being checked and will be cancelled if it went through.',
      });
      return this.resolve(core, captured.paymentId);
    }
    // Outside the try: a journal that fails to record the answer is a journal error for the
    // cashier, not a core that gave no answer.
    return result.outcome === 'approved'
      ? journal.transition(captured.paymentId, { status: 'approved', mode: 'online' })
      : journal.transition(captured.paymentId, {
          status: 'declined',
          mode: 'online',
          reason: result.reason ?? 'declined by the core',
        });
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
