/**
 * The terminal's scanners as the counter sees them: each configured scanner opened and supervised,
 * each scan routed into a {@link ScanEvent} and emitted, and the one rule of the counter: while the
 * cashier waits for the customer's payment code, a payment-code scan starts the payment.
 *
 * Scans from elsewhere (the kiosk's wedge detector, a technician's manual entry) come in through
 * `feed()` and are treated like any other scanner's.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RawScan } from '../../drivers/scanner/raw-scan.ts';
import { Scanner, type ScannerOptions, type ScannerStatus } from '../../drivers/scanner/scanner.ts';
import type { Money } from '../../sync/protocol/money.ts';
import type { PaymentOutcome } from '../checkout/checkout.ts';
import type { SchemeRule } from '../checkout/payment-code.ts';
import { routeScan } from './route.ts';
import { maskedScanEvent, type ScanEvent } from './scan-event.ts';

export interface ScanDeskOptions {
  /** Scanner addresses (settings `scanner.uris`). */
  uris: readonly string[];
  schemes: readonly SchemeRule[];
  /** Takes a payment (the terminal's Checkout). */
  pay: (request: { amount: Money; code: string }) => Promise<PaymentOutcome>;
  duplicateWindowMs?: number;
  /** Passed to every Scanner (tests: a fake HID backend, a serial factory). */
  scannerOptions?: Omit<ScannerOptions, 'address' | 'duplicateWindowMs'>;
  log?: Logger;
  now?: () => Date;
}

export interface PaymentFromScan {
  /** The scan that started it (its `data` is the payment code: log `maskedScanEvent`). */
  scan: ScanEvent;
  outcome: PaymentOutcome;
}

export class ScanDeskError extends Error {
  constructor(
    readonly code: 'BUSY' | 'CANCELLED',
    message: string,
  ) {
    super(message);
    this.name = 'ScanDeskError';
  }
}

interface Waiting {
  amount: Money;
  resolve: (result: PaymentFromScan) => void;
  reject: (err: unknown) => void;
}

export class ScanDesk extends EventEmitter<{ scan: [ScanEvent]; status: [ScannerStatus] }> {
  readonly scanners: Scanner[];
  private waiting: Waiting | null = null;

  constructor(private readonly options: ScanDeskOptions) {
    super();
    this.scanners = options.uris.map(
      (uri) =>
        new Scanner({
          ...options.scannerOptions,
          address: uri,
          ...(options.duplicateWindowMs !== undefined
            ? { duplicateWindowMs: options.duplicateWindowMs }
            : {}),
        }),
    );
  }

  /** Opens every scanner; resolves with their statuses after the first attempt (ready or not). */
  async start(): Promise<ScannerStatus[]> {
    for (const scanner of this.scanners) {
      scanner.on('scan', (raw) => this.feed(raw));
      scanner.on('status', (status) => {
        this.options.log?.info(
          { scanner: status.uri, state: status.state, reason: status.reason },
          'scanner',
        );
        this.emit('status', status);
      });
    }
    return Promise.all(this.scanners.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    this.cancelWait();
    await Promise.all(this.scanners.map((s) => s.stop()));
    for (const scanner of this.scanners) scanner.removeAllListeners();
  }

  statuses(): ScannerStatus[] {
    return this.scanners.map((s) => s.status());
  }

  /** Whether a payment is waiting for its code. */
  get waitingForCode(): boolean {
    return this.waiting !== null;
  }

  /**
   * Waits for the customer's payment code: the next payment-code scan pays `amount` and this
   * resolves with the payment's outcome. Other scans are emitted as usual and the wait goes on.
   * Rejects with the checkout's error when the payment could not be taken (the code was used
   * before, the journal refused), with BUSY when a wait is already armed, and with CANCELLED on
   * `cancelWait()` or `stop()`. The wait is disarmed the moment the code arrives, so a second
   * scan of the same phone cannot pay twice.
   */
  awaitPaymentCode(request: { amount: Money }): Promise<PaymentFromScan> {
    if (this.waiting)
      return Promise.reject(
        new ScanDeskError('BUSY', 'Already waiting for a payment code: finish or cancel that payment first.'),
      );
    return new Promise((resolve, reject) => {
      this.waiting = { amount: request.amount, resolve, reject };
    });
  }

  cancelWait(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(new ScanDeskError('CANCELLED', 'The payment was cancelled before a code was scanned.'));
  }

  /** Routes one scan (from a scanner, or fed by the kiosk), emits it, and starts a waiting payment. */
  feed(raw: RawScan): ScanEvent {
    const event = routeScan(raw, {
      schemes: this.options.schemes,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.options.log?.debug({ scan: maskedScanEvent(event) }, 'scan');
    this.emit('scan', event);
    const waiting = this.waiting;
    if (event.kind === 'payment_code' && waiting) {
      this.waiting = null;
      this.options.pay({ amount: waiting.amount, code: event.data }).then(
        (outcome) => waiting.resolve({ scan: event, outcome }),
        (err: unknown) => waiting.reject(err),
      );
    }
    return event;
  }
}
