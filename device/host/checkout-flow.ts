/**
 * One payment at the counter as the kiosk sees it: the amount is entered, the host waits for the
 * customer's payment code (any scanner, the kiosk's wedge detector, or typed by the cashier), the
 * payment is taken, its receipt printed. Each step is a {@link CheckoutState} emitted as `checkout`.
 *
 *   waiting_code ──code──▶ working ──▶ done (payment: approved, accepted_offline, declined, unknown)
 *        │                    └──────▶ failed (the code was used before, the journal refused, ...)
 *        ├──cancel──▶ cancelled
 *        └──show QR──▶ working ──▶ showing_qr ──paid──▶ done
 *                      (order)        └──cancel──▶ working ──▶ cancelled (payment declined)
 *
 * Show QR: the merchant's QR instead of the customer's code (Checkout.presentQr). The scan desk
 * stops waiting (a code scanned now is not this payment's); the core makes the order (`working`),
 * its QR is shown until the customer pays, the cashier cancels, or it expires (then `done` with the
 * payment declined, saying so). A cancel while the QR shows is done at the core, so it ends in
 * `cancelled` with the declined payment, or `done` if the core had the payment already.
 *
 * Rules: one checkout at a time (a second start while one waits or works is BUSY); a payment being
 * taken can't be cancelled (it may already be committed or at the core); `done` is emitted as soon as
 * the payment is committed, and again with `receipt` once the printer has had its go, so the cashier
 * never waits on paper. The scan desk disarms on the first code, so one phone can't pay twice.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import type { Money } from '../../sync/protocol/money.ts';
import type { Checkout, PaymentOutcome, QrHooks } from '../checkout/checkout.ts';
import type { PaymentFromScan, ScanDesk } from '../scanning/scan-desk.ts';
import { ScanDeskError } from '../scanning/scan-desk.ts';
import type { CheckoutState } from './api-schema.ts';
import { ApiProblem, type Locale, qrUnavailable } from './errors.ts';

export type ReceiptReport = NonNullable<CheckoutState['receipt']>;

export interface CheckoutFlowOptions {
  desk: Pick<ScanDesk, 'awaitPaymentCode' | 'cancelWait'>;
  checkout: Pick<Checkout, 'pay'>;
  /** Takes a payment by the merchant's QR (Checkout.presentQr); null without a core. */
  presentQr?: ((amount: Money, hooks: QrHooks) => Promise<PaymentOutcome>) | null;
  /** Whether the core answered last time it was asked (null: not asked yet). */
  coreReachable?: () => boolean | null;
  /** Queues and prints the receipt of a payment that stands; undefined when nothing is printed. */
  printReceipt: (payment: PaymentRecord) => Promise<ReceiptReport | undefined>;
  locale: Locale;
  log: Logger;
}

const ENDED = new Set<CheckoutState['phase']>(['done', 'failed', 'cancelled']);

export class CheckoutFlow extends EventEmitter<{ checkout: [CheckoutState]; payment: [PaymentRecord] }> {
  private state: CheckoutState | null = null;
  private settling: Promise<void> = Promise.resolve();
  /** The checkout paid by the merchant's QR, and how the cashier cancels it. */
  private qr: { checkoutId: string; cancel: AbortController } | null = null;

  constructor(private readonly options: CheckoutFlowOptions) {
    super();
  }

  /** The checkout in progress, or the last one (until the next starts); null before any. */
  current(): CheckoutState | null {
    return this.state && { ...this.state };
  }

  get waitingForCode(): boolean {
    return this.state?.phase === 'waiting_code';
  }

  /** Starts a checkout of `amount` (already parsed) and arms the scan desk for its code. */
  start(amount: Money): CheckoutState {
    if (this.state && !ENDED.has(this.state.phase)) {
      throw ApiProblem.of(409, 'BUSY', this.options.locale, {
        detail: `checkout ${this.state.checkoutId} is ${this.state.phase}`,
      });
    }
    const checkoutId = crypto.randomUUID();
    this.state = { checkoutId, amount, phase: 'waiting_code' };
    const paid = this.options.desk.awaitPaymentCode({ amount });
    this.settling = paid
      .then(
        (result) => this.finish(checkoutId, result),
        (err: unknown) => this.fail(checkoutId, err),
      )
      .catch((err: unknown) =>
        // A listener that threw: the payment stands; keep the host up and say so in the log.
        this.options.log.error({ checkoutId, err: (err as Error).message }, 'checkout event failed'),
      );
    this.publish();
    return this.current() as CheckoutState;
  }

  /**
   * The scan desk's way to take the payment once the code is in (ScanDeskOptions.pay): the checkout
   * moves to `working` before the payment is recorded.
   */
  pay(request: { amount: Money; code: string }): Promise<PaymentOutcome> {
    if (this.state?.phase === 'waiting_code') this.update({ phase: 'working' });
    return this.options.checkout.pay(request);
  }

  /** Shows the merchant's QR for the checkout waiting for a code (see the module comment). */
  showQr(): CheckoutState {
    const { locale, presentQr } = this.options;
    const state = this.state;
    if (state?.phase !== 'waiting_code') throw ApiProblem.of(409, 'NO_CHECKOUT', locale);
    if (!presentQr) throw qrUnavailable('NO_CORE', locale);
    if (this.options.coreReachable?.() === false) throw qrUnavailable('CORE_UNREACHABLE', locale);
    const { checkoutId, amount } = state;
    const cancel = new AbortController();
    this.qr = { checkoutId, cancel };
    this.update({ phase: 'working' });
    this.options.desk.cancelWait();
    const showing = (order: { text: string; expiresAt: string }) => {
      if (this.state?.checkoutId !== checkoutId || cancel.signal.aborted) return;
      this.update({ phase: 'showing_qr', qr: { text: order.text, expiresAt: order.expiresAt } });
    };
    const previous = this.settling;
    this.settling = presentQr(amount, { onOrder: showing, signal: cancel.signal })
      .then(
        (outcome) => this.finish(checkoutId, { outcome }),
        (err: unknown) => this.fail(checkoutId, err),
      )
      .catch((err: unknown) =>
        this.options.log.error({ checkoutId, err: (err as Error).message }, 'checkout event failed'),
      )
      .then(() => previous);
    return this.current() as CheckoutState;
  }

  /** Cancels the checkout waiting for its code, or the QR being shown (at the core). */
  cancel(): CheckoutState {
    const { locale } = this.options;
    if (this.state?.phase === 'showing_qr' && this.qr?.checkoutId === this.state.checkoutId) {
      this.qr.cancel.abort();
      this.update({ phase: 'working' });
      return this.current() as CheckoutState;
    }
    if (this.state?.phase === 'working') throw ApiProblem.of(409, 'CHECKOUT_WORKING', locale);
    if (this.state?.phase !== 'waiting_code') throw ApiProblem.of(409, 'NO_CHECKOUT', locale);
    this.update({ phase: 'cancelled' });
    this.options.desk.cancelWait();
    return this.current() as CheckoutState;
  }

  /** Resolves when the last checkout has ended and its receipt has been tried (for a clean stop). */
  settled(): Promise<void> {
    return this.settling;
  }

  private async finish(checkoutId: string, { outcome }: Pick<PaymentFromScan, 'outcome'>): Promise<void> {
    if (this.state?.checkoutId !== checkoutId) return;
    const { payment } = outcome;
    const cancelledQr = this.qr?.checkoutId === checkoutId && this.qr.cancel.signal.aborted;
    this.update({ phase: cancelledQr && payment.status === 'declined' ? 'cancelled' : 'done', payment });
    this.emit('payment', payment);
    if (payment.status !== 'approved' && payment.status !== 'accepted_offline') return;
    const receipt = await this.options.printReceipt(payment);
    if (receipt && this.state?.checkoutId === checkoutId) this.update({ receipt });
  }

  private fail(checkoutId: string, err: unknown): void {
    if (this.state?.checkoutId !== checkoutId || ENDED.has(this.state.phase)) return;
    if (err instanceof ScanDeskError && err.code === 'CANCELLED') {
      // The desk stopped waiting because the checkout went on by QR: that is not a cancel.
      if (this.qr?.checkoutId === checkoutId) return;
      this.update({ phase: 'cancelled' });
      return;
    }
    const e = err as Error & { code?: string };
    this.options.log.warn({ checkoutId, code: e.code, err: e.message }, 'checkout failed');
    this.update({ phase: 'failed', error: { code: e.code ?? 'PAYMENT_FAILED', message: e.message } });
  }

  private update(change: Partial<CheckoutState>): void {
    if (!this.state) return;
    this.state = { ...this.state, ...change };
    this.publish();
  }

  private publish(): void {
    this.emit('checkout', this.current() as CheckoutState);
  }
}
