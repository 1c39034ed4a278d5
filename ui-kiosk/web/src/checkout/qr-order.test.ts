import { describe, expect, test } from 'vitest';
import { QR_ORDER_VALID_S } from '../api/contract.ts';
import { status } from '../testing/builders.ts';
import { formatCountdown, qrMsLeft, qrOffer } from './qr-order.ts';

const at = (iso: string) => Date.parse(iso);

describe('the offer of the merchant QR', () => {
  test('is made when the core answered, or has not been tried yet', () => {
    expect(qrOffer(status({ configured: true, reachable: true }), 'open')).toEqual({ available: true });
    expect(qrOffer(status({ configured: true, reachable: null }), 'open')).toEqual({ available: true });
  });

  test('is held back, with the reason, without a core, with the core out of reach or the link down', () => {
    expect(qrOffer(status({ configured: false }), 'open')).toEqual({ available: false, reason: 'no_core' });
    expect(qrOffer(status({ configured: true, reachable: false }), 'open')).toEqual({
      available: false,
      reason: 'unreachable',
    });
    expect(qrOffer(status({ configured: true, reachable: true }), 'lost')).toEqual({
      available: false,
      reason: 'no_link',
    });
    expect(qrOffer(status({ configured: true, reachable: true }), 'connecting').available).toBe(false);
  });
});

describe('the countdown to the end of the QR order', () => {
  const shownAt = at('2030-01-01T10:00:00.000Z');
  const expiresAt = '2030-01-01T10:02:00.000Z';

  test('counts down to expiresAt', () => {
    expect(qrMsLeft({ expiresAt, shownAt }, shownAt)).toBe(120_000);
    expect(qrMsLeft({ expiresAt, shownAt }, at('2030-01-01T10:01:30.500Z'))).toBe(29_500);
    expect(qrMsLeft({ expiresAt, shownAt }, at('2030-01-01T10:02:00.000Z'))).toBe(0);
    expect(qrMsLeft({ expiresAt, shownAt }, at('2030-01-01T10:05:00.000Z'))).toBe(0);
  });

  test("never promises more than the order's validity from when the QR was shown (a core clock ahead)", () => {
    const ahead = '2030-01-01T10:07:00.000Z';
    expect(qrMsLeft({ expiresAt: ahead, shownAt }, shownAt)).toBe(QR_ORDER_VALID_S * 1000);
    expect(qrMsLeft({ expiresAt: ahead, shownAt }, shownAt + 100_000)).toBe(20_000);
    expect(qrMsLeft({ expiresAt: 'not a time', shownAt }, shownAt + 1_000)).toBe(119_000);
  });

  test('reads mm:ss, rounded up so 00:00 means the time is up', () => {
    expect(formatCountdown(120_000)).toBe('02:00');
    expect(formatCountdown(119_001)).toBe('02:00');
    expect(formatCountdown(119_000)).toBe('01:59');
    expect(formatCountdown(61_000)).toBe('01:01');
    expect(formatCountdown(9_500)).toBe('00:10');
    expect(formatCountdown(1)).toBe('00:01');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-5_000)).toBe('00:00');
  });
});
