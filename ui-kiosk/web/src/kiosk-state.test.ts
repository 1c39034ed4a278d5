import { describe, expect, test } from 'vitest';
import type { HostEvent } from './api/contract.ts';
import {
  checkoutProgress,
  initialKioskState,
  isActive,
  type KioskAction,
  type KioskState,
  kioskReducer,
  workingStep,
} from './kiosk-state.ts';
import { checkout, payment, queue, scan, status } from './testing/builders.ts';

const run = (actions: KioskAction[], from: KioskState = initialKioskState) =>
  actions.reduce(kioskReducer, from);
const event = (e: HostEvent): KioskAction => ({ type: 'event', event: e });

describe('the kiosk state', () => {
  test('a checkout never goes back to an earlier phase when an answer comes after its event', () => {
    const done = checkout({ phase: 'done', payment: payment() });
    const state = run([
      { type: 'checkout', checkout: checkout() },
      event({ type: 'checkout', checkout: checkout({ phase: 'working' }) }),
      event({ type: 'checkout', checkout: done }),
      // The answer to POST /api/checkout/code, sent while the payment was still being taken.
      { type: 'checkout', checkout: checkout({ phase: 'working' }) },
    ]);
    expect(state.checkout?.phase).toBe('done');
    expect(state.checkout?.payment?.status).toBe('accepted_offline');
  });

  test('keeps the offline room as it was when the checkout started', () => {
    const before = queue({ nextPaymentMax: { minor: 500, currency: 'CNY' } });
    const state = run([
      event({ type: 'hello', status: status({ queue: before }) }),
      { type: 'checkout', checkout: checkout() },
      event({ type: 'status', status: status() }),
    ]);
    expect(state.queueAtStart).toBe(before);
  });

  test('a payment event updates the checkout on screen (a payment in doubt resolved)', () => {
    const doubt = payment({ status: 'unknown', mode: 'online' });
    const state = run([
      { type: 'checkout', checkout: checkout() },
      event({ type: 'checkout', checkout: checkout({ phase: 'done', payment: doubt }) }),
      event({
        type: 'payment',
        payment: { ...doubt, status: 'approved', updatedAt: '2030-01-01T10:00:05.000Z' },
      }),
      // The same `done` again, now with the receipt report, but the payment as it was at first.
      event({
        type: 'checkout',
        checkout: checkout({ phase: 'done', payment: doubt, receipt: { printed: true } }),
      }),
    ]);
    expect(state.checkout?.payment?.status).toBe('approved');
    expect(state.checkout?.receipt).toEqual({ printed: true });
  });

  test('a cancelled or dismissed checkout is not brought back by a late event', () => {
    const cancelled = run([
      { type: 'checkout', checkout: checkout() },
      { type: 'checkout', checkout: checkout({ phase: 'cancelled' }) },
      event({ type: 'checkout', checkout: checkout() }),
    ]);
    expect(cancelled.checkout).toBeNull();
    const dismissed = run([
      { type: 'checkout', checkout: checkout({ phase: 'working' }) },
      event({ type: 'checkout', checkout: checkout({ phase: 'done', payment: payment() }) }),
      { type: 'dismiss' },
      event({ type: 'checkout', checkout: checkout({ phase: 'done', receipt: { printed: false } }) }),
    ]);
    expect(dismissed.checkout).toBeNull();
  });

  test("takes up a checkout started elsewhere, but not another one's old result", () => {
    expect(
      run([event({ type: 'checkout', checkout: checkout({ checkoutId: 'x' }) })]).checkout?.checkoutId,
    ).toBe('x');
    expect(run([{ type: 'checkout', checkout: checkout({ phase: 'done' }) }]).checkout).toBeNull();
  });

  test('keeps the payments list newest first, one row per payment', () => {
    const a = payment();
    const b = payment();
    const state = run([
      { type: 'payments', payments: [a] },
      event({ type: 'payment', payment: b }),
      event({ type: 'payment', payment: { ...a, status: 'declined_after_sync' } }),
    ]);
    expect(state.payments?.map((p) => [p.paymentId, p.status])).toEqual([
      [b.paymentId, 'accepted_offline'],
      [a.paymentId, 'declined_after_sync'],
    ]);
  });

  test('notes a scan that is not a payment code while a checkout waits', () => {
    const state = run([{ type: 'checkout', checkout: checkout() }, event({ type: 'scan', scan: scan() })]);
    expect(state.strayScan).toEqual(scan());
    expect(run([event({ type: 'scan', scan: scan() })]).strayScan).toBeNull();
  });
});

describe('a checkout paid by the merchant QR', () => {
  const qr = { text: 'suanpan://order/p-qr', expiresAt: '2030-01-01T10:02:00.000Z' };
  const making = checkout({ phase: 'working' });
  const showing = checkout({ phase: 'showing_qr', qr });
  const cancelling = checkout({ phase: 'working', qr });

  test('moves working (the order made) → showing_qr → working (the cancel) → an end, never back', () => {
    const order = [checkout(), making, showing, cancelling, checkout({ phase: 'done', qr })];
    const ranks = order.map(checkoutProgress);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(order.length);
    expect(isActive(showing)).toBe(true);
    expect(isActive(cancelling)).toBe(true);
  });

  test('a late answer to "show QR" (working, no qr) does not hide the QR its event brought', () => {
    const state = run([
      { type: 'checkout', checkout: checkout() },
      { type: 'qr_asked' },
      event({ type: 'checkout', checkout: making }),
      event({ type: 'checkout', checkout: showing }),
      { type: 'checkout', checkout: making },
    ]);
    expect(state.checkout?.phase).toBe('showing_qr');
    expect(state.checkout?.qr).toEqual(qr);
  });

  test('the cancel is shown as such, and a late showing_qr does not undo it; cancelled leaves', () => {
    const cancelled = run([
      { type: 'checkout', checkout: showing },
      { type: 'checkout', checkout: cancelling },
      event({ type: 'checkout', checkout: showing }),
    ]);
    expect(cancelled.checkout?.phase).toBe('working');
    expect(workingStep(cancelled.checkout ?? making, cancelled.qrAsked)).toBe('cancelling_qr');
    const left = run(
      [event({ type: 'checkout', checkout: checkout({ phase: 'cancelled', qr }) })],
      cancelled,
    );
    expect(left.checkout).toBeNull();
    expect(run([event({ type: 'checkout', checkout: showing })], left).checkout).toBeNull();
  });

  test('paid while shown: the result, with its payment', () => {
    const paid = payment({ scheme: 'merchant_qr', codeMasked: 'QR', mode: 'online', status: 'approved' });
    const state = run([
      { type: 'checkout', checkout: showing },
      event({ type: 'checkout', checkout: checkout({ phase: 'done', qr, payment: paid }) }),
    ]);
    expect(state.checkout?.phase).toBe('done');
    expect(state.checkout?.payment?.status).toBe('approved');
  });

  test('names what working does: taking the payment, making the QR this kiosk asked for, cancelling it', () => {
    const asked = run([{ type: 'checkout', checkout: checkout() }, { type: 'qr_asked' }]);
    expect(asked.qrAsked).toBe('c-1');
    expect(workingStep(making, asked.qrAsked)).toBe('making_qr');
    expect(workingStep(making, null)).toBe('taking_payment');
    expect(workingStep(checkout({ checkoutId: 'other', phase: 'working' }), asked.qrAsked)).toBe(
      'taking_payment',
    );
    // Refused (the core out of reach): the checkout waits for a code, whose payment is then taken.
    const refused = run([{ type: 'qr_refused' }], asked);
    expect(refused.qrAsked).toBeNull();
    expect(workingStep(making, refused.qrAsked)).toBe('taking_payment');
    expect(run([{ type: 'dismiss' }], asked).qrAsked).toBeNull();
  });
});
