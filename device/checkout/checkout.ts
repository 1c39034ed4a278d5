/**
 * Checkout: turns an amount and a scanned payment code into a recorded payment.
 *
 * With a core: capture (committed), then authorise online; approved or declined as the core says;
 * core unreachable → the offline policy decides; no answer in time → `unknown`, to be resolved by
 * query and cancel. Without a core: the offline policy decides at capture, in the same transaction.
 * The returned payment is committed and fsynced: only then may the cashier be told.
 */
import type { Logger } from 'pino';
import type { Decision, Journal, OfflineStats, PaymentRecord } from '../../sync/journal/journal.ts';
import { type Money, PaymentAmount } from '../../sync/protocol/money.ts';
import type { OfflineLimits } from '../config/settings.ts';
import { evaluateOfflinePolicy, type OfflineRefusal } from './offline-policy.ts';
import { classifyPaymentCode, type SchemeRule } from './payment-code.ts';
import { CoreTimeoutError, CoreUnreachableError, type PaymentCore } from './payment-core.ts';

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
      payment = await this.authoriseOnline(core, captured, code.code, decideOffline);
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
    code: string,
    decideOffline: (stats: OfflineStats) => Decision,
  ): Promise<PaymentRecord> {
    const { journal, log } = this.options;
    const signal = AbortSignal.timeout(this.options.coreTimeoutMs ?? 15_000);
    try {
      const result = await core.authorise(
        {
          paymentId: captured.paymentId,
          seq: captured.seq,
          amount: captured.amount,
          scheme: captured.scheme,
          code,
          capturedAt: captured.capturedAt,
        },
        { signal },
      );
      return result.outcome === 'approved'
        ? journal.transition(captured.paymentId, { status: 'approved', mode: 'online' })
        : journal.transition(captured.paymentId, {
            status: 'declined',
            mode: 'online',
            reason: result.reason,
          });
    } catch (err) {
      if (err instanceof CoreUnreachableError) {
        log.warn(
          { paymentId: captured.paymentId, err: err.message },
          'core unreachable: offline policy decides',
        );
        return journal.transition(captured.paymentId, decideOffline);
      }
      if (err instanceof CoreTimeoutError || signal.aborted) {
        log.warn({ paymentId: captured.paymentId }, 'no answer from the core in time: payment is unknown');
        return journal.transition(captured.paymentId, {
          status: 'unknown',
          mode: 'online',
          reason:
            'The core did not answer in time; the payment will be checked and cancelled if it went through.',
        });
      }
      // Anything else: we can't tell whether the core took it, so it is in doubt too.
      log.error({ paymentId: captured.paymentId, err }, 'online authorisation failed');
      return journal.transition(captured.paymentId, {
        status: 'unknown',
        mode: 'online',
        reason: `The online authorisation failed (${(err as Error).message}); the payment will be checked.`,
      });
    }
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }
}
