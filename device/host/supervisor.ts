/**
 * Void and refund, the supervisor's actions on a payment (the PIN is checked by the caller). Both
 * follow the journal's state machine (sync/journal/entry.ts: approved or settled → voided or
 * refunded); what the payment is in any other state is said in words (`cannotChangeText`).
 *
 * Void: the payment is reversed at the core first, with the same `cancel` the in-doubt resolution
 * uses (sync/client/in-doubt.ts): the core reverses a payment the same day it took it (approved, or
 * settled from the offline queue; the wallet's day, China time) and answers `too_late` otherwise. Only once the core said `cancelled` is `voided` recorded. If the core refuses
 * or cannot be reached, nothing is recorded and the cashier is told why. If it did not answer (a
 * timeout, a broken connection), it may have reversed the payment: nothing is recorded either, and
 * the cashier voids again, which is safe (a second cancel finds it cancelled and says so).
 * A payment accepted offline is not at the core yet: it can't be voided until it has been synced.
 *
 * Refund: the whole payment, at the core first (`POST /v1/payments/:id/refund`: the wallet is paid
 * back on any later day too), then recorded `refunded`; as with a void, nothing is recorded unless
 * the core said so, and refunding again after a lost answer is safe (the core answers `duplicate`).
 * A terminal without a core (the offline demo, a till not connected to any core) records `refunded`
 * at once: the merchant gave the money back out of the till, and the journal says so.
 *
 * One action at a time per payment: a second void of a payment being voided is PAYMENT_BUSY, so two
 * screens can't both reach the core and then race to record it.
 */
import type { Logger } from 'pino';
import type { CoreClient } from '../../sync/client/core-client.ts';
import {
  CoreConnectionLostError,
  CoreProtocolError,
  CoreRejectedError,
  CoreTimeoutError,
  CoreUnreachableError,
  isTransient,
} from '../../sync/client/errors.ts';
import type { InDoubtCore } from '../../sync/client/in-doubt.ts';
import { JournalError } from '../../sync/journal/errors.ts';
import type { Decision, Journal, PaymentRecord, PaymentStatus } from '../../sync/journal/journal.ts';
import type { CancelResponse, RefundResponse } from '../../sync/protocol/wire.ts';
import { ApiProblem, cannotChangeText, type Locale } from './errors.ts';

/** What void and refund ask of the core. */
export type SupervisorCore = Pick<InDoubtCore, 'cancel'> & Pick<CoreClient, 'refund'>;

/** States a void or refund may leave (sync/journal/entry.ts TRANSITIONS). */
const REVERSIBLE: ReadonlySet<PaymentStatus> = new Set(['approved', 'settled']);

export interface SupervisorActionsOptions {
  /** The terminal's journal (read at each call: the host may reopen the terminal). */
  journal: () => Journal;
  /** The core this terminal is activated at, or null. */
  core: () => SupervisorCore | null;
  locale: () => Locale;
  log: Logger;
  /** How long the supervisor waits for the core's answer (core.timeoutMs); default: the client's. */
  timeoutMs?: () => number;
}

export class SupervisorActions {
  private readonly busy = new Set<string>();

  constructor(private readonly options: SupervisorActionsOptions) {}

  private call(): { signal?: AbortSignal } {
    const ms = this.options.timeoutMs?.();
    return ms === undefined ? {} : { signal: AbortSignal.timeout(ms) };
  }

  /** Voids `paymentId`: reversed at the core, then recorded `voided`. See the module comment. */
  voidPayment(paymentId: string): Promise<PaymentRecord> {
    return this.exclusive(paymentId, async () => {
      const { log } = this.options;
      const locale = this.options.locale();
      const journal = this.options.journal();
      const payment = journal.storedPayment(paymentId);
      if (!payment) throw ApiProblem.of(404, 'UNKNOWN_PAYMENT', locale, { detail: paymentId });
      this.assertReversible('void', payment.status, locale);
      const core = this.options.core();
      if (!core) throw ApiProblem.of(409, 'NO_CORE', locale);
      let answer: CancelResponse;
      try {
        answer = await core.cancel(
          paymentId,
          {
            seq: payment.seq,
            amount: payment.amount,
            scheme: payment.scheme,
            codeHash: payment.codeHash,
            capturedAt: payment.capturedAt,
          },
          this.call(),
        );
      } catch (err) {
        log.warn({ paymentId, err: (err as Error).message }, 'void not done: the core did not cancel');
        throw coreProblem(err, locale);
      }
      if (answer.outcome !== 'cancelled') {
        log.info({ paymentId, state: answer.state, reason: answer.reason }, 'void refused by the core');
        throw ApiProblem.of(409, 'VOID_TOO_LATE', locale, {
          detail: answer.reason ?? `the core holds it as ${answer.state}`,
        });
      }
      try {
        const voided = this.record(paymentId, {
          status: 'voided',
          reason: 'voided at the kiosk with the supervisor PIN; reversed at the core',
          details: {
            by: 'supervisor',
            via: 'kiosk',
            core: { outcome: answer.outcome, state: answer.state, reason: answer.reason },
          },
        });
        log.info({ paymentId, seq: voided.seq }, 'payment voided');
        return voided;
      } catch (err) {
        if (err instanceof ApiProblem) throw err;
        // The core has reversed it and the journal did not record it: voiding again records it
        // (the core answers `cancelled` again). Say so, rather than leave the two disagreeing.
        log.error({ paymentId, err: (err as Error).message }, 'reversed at the core but not recorded');
        throw ApiProblem.of(500, 'INTERNAL', locale, {
          detail: `The core reversed payment ${paymentId}, but the journal could not record it (${(err as Error).message}). Void it again once that is fixed.`,
        });
      }
    });
  }

  /** Refunds `paymentId`: at the core if there is one, then recorded. See the module comment. */
  refundPayment(paymentId: string): Promise<PaymentRecord> {
    return this.exclusive(paymentId, async () => {
      const locale = this.options.locale();
      const payment = this.options.journal().payment(paymentId);
      if (!payment) throw ApiProblem.of(404, 'UNKNOWN_PAYMENT', locale, { detail: paymentId });
      this.assertReversible('refund', payment.status, locale);
      const core = this.options.core();
      if (core) return this.refundAtCore(core, payment, locale);
      const refunded = this.record(paymentId, {
        status: 'refunded',
        reason: 'refunded at the kiosk with the supervisor PIN; no payment core: paid back by the merchant',
        details: { by: 'supervisor', via: 'kiosk', core: null },
      });
      this.options.log.info({ paymentId, seq: refunded.seq }, 'payment refunded (no core)');
      return refunded;
    });
  }

  private async refundAtCore(
    core: SupervisorCore,
    payment: PaymentRecord,
    locale: Locale,
  ): Promise<PaymentRecord> {
    const { log } = this.options;
    const { paymentId } = payment;
    let answer: RefundResponse;
    try {
      answer = await core.refund(paymentId, { amount: payment.amount }, this.call());
    } catch (err) {
      log.warn({ paymentId, err: (err as Error).message }, 'refund not done: the core did not refund');
      throw coreProblem(err, locale);
    }
    try {
      const refunded = this.record(paymentId, {
        status: 'refunded',
        reason: 'refunded at the kiosk with the supervisor PIN; paid back to the wallet by the core',
        details: {
          by: 'supervisor',
          via: 'kiosk',
          core: { state: answer.state, duplicate: answer.duplicate },
        },
      });
      log.info({ paymentId, seq: refunded.seq, duplicate: answer.duplicate }, 'payment refunded');
      return refunded;
    } catch (err) {
      if (err instanceof ApiProblem) throw err;
      log.error({ paymentId, err: (err as Error).message }, 'refunded at the core but not recorded');
      throw ApiProblem.of(500, 'INTERNAL', locale, {
        detail: `The core refunded payment ${paymentId}, but the journal could not record it (${(err as Error).message}). Refund it again once that is fixed: it is not paid back twice.`,
      });
    }
  }

  private assertReversible(action: 'void' | 'refund', status: PaymentStatus, locale: Locale): void {
    if (!REVERSIBLE.has(status)) {
      throw new ApiProblem(409, 'ILLEGAL_TRANSITION', cannotChangeText(action, status, locale), {
        detail: `the payment is ${status}`,
      });
    }
  }

  /** Records the change; a payment moved on meanwhile (the journal refuses) is a 409 in words. */
  private record(paymentId: string, decision: Decision & { status: 'voided' | 'refunded' }): PaymentRecord {
    const journal = this.options.journal();
    try {
      return journal.transition(paymentId, decision);
    } catch (err) {
      if (err instanceof JournalError && err.code === 'ILLEGAL_TRANSITION') {
        const now = journal.payment(paymentId)?.status ?? 'captured';
        const action = decision.status === 'refunded' ? 'refund' : 'void';
        throw new ApiProblem(
          409,
          'ILLEGAL_TRANSITION',
          cannotChangeText(action, now, this.options.locale()),
          {
            detail: err.message,
          },
        );
      }
      throw err;
    }
  }

  private async exclusive<T>(paymentId: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(paymentId)) throw ApiProblem.of(409, 'PAYMENT_BUSY', this.options.locale());
    this.busy.add(paymentId);
    try {
      return await work();
    } finally {
      this.busy.delete(paymentId);
    }
  }
}

/** What a failed call to the core means for the cashier: nothing recorded, and why. */
function coreProblem(err: unknown, locale: Locale): unknown {
  if (err instanceof CoreUnreachableError) return ApiProblem.of(503, 'CORE_UNREACHABLE', locale);
  if (err instanceof CoreTimeoutError || err instanceof CoreConnectionLostError) {
    return ApiProblem.of(504, 'CORE_NO_ANSWER', locale, { detail: err.message });
  }
  if (err instanceof CoreRejectedError) {
    // A 5xx or a replayed request: the core may have acted; else it refused, and said why.
    return isTransient(err)
      ? ApiProblem.of(504, 'CORE_NO_ANSWER', locale, { detail: err.message })
      : ApiProblem.of(409, 'CORE_REFUSED', locale, { detail: `${err.code}: ${err.message}` });
  }
  if (err instanceof CoreProtocolError) {
    return ApiProblem.of(504, 'CORE_NO_ANSWER', locale, { detail: err.message });
  }
  return err;
}
