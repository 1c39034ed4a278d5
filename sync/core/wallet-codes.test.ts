/**
 * Demo wallet codes on their own: what a code is made of, that it can't be guessed without the
 * wallet's secret, and the exact edges of its 60 s validity (the core tests can only come near them:
 * an HTTP round trip takes a few ms of the window).
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CODE_EARLY_TOLERANCE_S,
  CODE_VALID_S,
  type CodeRow,
  judge,
  REASONS,
  type WalletRow,
  walletCode,
  walletDay,
} from './wallet-codes.ts';

describe('walletCode', () => {
  it('is 18 digits starting 28, the same for the same secret and counter', () => {
    const secret = crypto.randomBytes(32);
    for (let counter = 1; counter <= 50; counter++) {
      const code = walletCode(secret, counter);
      expect(code).toMatch(/^28\d{16}$/);
      expect(walletCode(Buffer.from(secret), counter)).toBe(code);
    }
  });

  it("can't be guessed from another wallet's codes or from earlier ones: each depends on the secret", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (a, b, counter) => {
          fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
          // Two wallets at the same counter: knowing one wallet's code tells nothing of the other's.
          expect(walletCode(Buffer.from(a), counter)).not.toBe(walletCode(Buffer.from(b), counter));
        },
      ),
    );
    // A wallet's codes in a row are not a sequence: no constant step from one to the next.
    const secret = crypto.randomBytes(32);
    const codes = Array.from({ length: 20 }, (_, i) => BigInt(walletCode(secret, i + 1)));
    const steps = new Set(codes.slice(1).map((c, i) => c - (codes[i] as bigint)));
    expect(steps.size).toBe(codes.length - 1);
  });
});

describe('judge', () => {
  const issuedAt = Date.parse('2026-11-25T09:30:00.000Z');
  const code = (over: Partial<CodeRow> = {}): CodeRow => ({
    code: '281234567890123456',
    wallet_id: 'w',
    issued_at_ms: issuedAt,
    used: false,
    ...over,
  });
  const wallet: WalletRow = { wallet_id: 'w', currency: 'CNY', balance_minor: 10_000 };
  const at = (ms: number, over: Partial<CodeRow> = {}) =>
    judge({ amountMinor: 100, currency: 'CNY' }, code(over), wallet, wallet.balance_minor, ms, false);

  it('accepts a payment captured within 60 s of the code, and refuses it one ms later', () => {
    expect(CODE_VALID_S).toBe(60);
    expect(at(issuedAt)).toEqual({ ok: true });
    expect(at(issuedAt + 60_000)).toEqual({ ok: true });
    expect(at(issuedAt + 60_001)).toEqual({ ok: false, reason: REASONS.codeExpired });
    // A clock offset learned to the second: a capture a little before the issue is the same moment.
    expect(at(issuedAt - CODE_EARLY_TOLERANCE_S * 1000)).toEqual({ ok: true });
    expect(at(issuedAt - CODE_EARLY_TOLERANCE_S * 1000 - 1)).toEqual({
      ok: false,
      reason: REASONS.codeExpired,
    });
  });

  it('refuses a code used before, or earlier in the same batch, however fresh', () => {
    expect(at(issuedAt, { used: true })).toEqual({ ok: false, reason: REASONS.codeReused });
    expect(
      judge({ amountMinor: 100, currency: 'CNY' }, code(), wallet, wallet.balance_minor, issuedAt, true),
    ).toEqual({ ok: false, reason: REASONS.codeReused });
  });
});

describe("the wallet's day, within which a payment can be cancelled", () => {
  it('is the day in China time (UTC+8), whatever zone the core runs in', () => {
    expect(walletDay(new Date('2026-11-25T15:59:59.999Z'))).toBe('2026-11-25');
    expect(walletDay(new Date('2026-11-25T16:00:00.000Z'))).toBe('2026-11-26');
    // 07:59 and 08:01 in Shanghai are one day, though UTC dates differ.
    expect(walletDay(new Date('2026-11-25T23:59:00Z'))).toBe(walletDay(new Date('2026-11-26T00:01:00Z')));
  });
});
