import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmountError, formatAmount, formatMoney, Money, minorDigits, parseAmount } from './money.ts';

describe('parseAmount', () => {
  it.each([
    ['12.50', 1250],
    ['0.01', 1],
    ['100000.00', 10_000_000],
    ['12.5', 1250],
    ['12', 1200],
    [' 12.50 ', 1250],
    ['999999999999.99', 99_999_999_999_999],
  ])('accepts %j as %i fen', (input, minor) => {
    expect(parseAmount(input)).toEqual({ minor, currency: 'CNY' });
  });

  it.each([
    ['-1', 'greater than 0'],
    ['0', 'greater than 0'],
    ['0.00', 'greater than 0'],
    ['1.234', 'at most 2 decimals'],
    ['abc', 'not a number'],
    ['1e3', 'exponent'],
    ['12,50', 'a point, not a comma'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['+5', 'plus sign'],
    ['012.50', 'leading zeros'],
    ['.5', 'both sides'],
    ['12.', 'both sides'],
    ['１２.５０', 'half-width'],
    ['1,000.00', 'thousands separators'],
    ['NaN', 'not a number'],
    ['Infinity', 'not a number'],
    ['0x10', 'not a number'],
    ['1000000000000', 'too large'],
  ])('refuses %j, saying %j and the accepted form', (input, why) => {
    let error: unknown;
    try {
      parseAmount(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AmountError);
    const message = (error as AmountError).message;
    expect(message).toContain(why);
    if (why !== 'too large') expect(message).toContain('such as 12.50');
  });

  it('follows the currency: JPY has no decimals, KWD three', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(parseAmount('1250', 'JPY')).toEqual({ minor: 1250, currency: 'JPY' });
    expect(() => parseAmount('12.50', 'JPY')).toThrow(/no decimals/);
    expect(parseAmount('1.234', 'KWD')).toEqual({ minor: 1234, currency: 'KWD' });
    expect(() => parseAmount('1', 'XYZ')).toThrow(/Unknown currency/);
    expect(() => parseAmount('1', 'cny')).toThrow(/Unknown currency/);
  });

  it('round-trips every amount it accepts, and only throws AmountError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999_999_999 }), (minor) => {
        const money = { minor, currency: 'CNY' };
        expect(parseAmount(formatAmount(money))).toEqual(money);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (input) => {
        try {
          const m = parseAmount(input);
          expect(Number.isSafeInteger(m.minor) && m.minor > 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(AmountError);
        }
      }),
    );
  });
});

describe('formatMoney', () => {
  it('groups thousands and uses the currency symbol', () => {
    expect(formatMoney({ minor: 200_000, currency: 'CNY' })).toBe('¥2,000.00');
    expect(formatMoney({ minor: 5, currency: 'CNY' })).toBe('¥0.05');
    expect(formatMoney({ minor: -1250, currency: 'CNY' })).toBe('-¥12.50');
    expect(formatMoney({ minor: 1234567, currency: 'KWD' })).toBe('KWD 1,234.567');
  });
});

describe('Money schema', () => {
  it('refuses floats, unknown currencies and extra fields', () => {
    expect(Money.safeParse({ minor: 12.5, currency: 'CNY' }).success).toBe(false);
    expect(Money.safeParse({ minor: 1250, currency: 'XXY' }).success).toBe(false);
    expect(Money.safeParse({ minor: 1250, currency: 'CNY', note: 1 }).success).toBe(false);
    expect(Money.parse({ minor: 1250, currency: 'CNY' })).toEqual({ minor: 1250, currency: 'CNY' });
  });
});
