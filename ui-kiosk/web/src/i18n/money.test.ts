import { describe, expect, test } from 'vitest';
import { formatAmount, formatMoney, formatTypedAmount, minorDigits } from './money.ts';

describe('money from minor units', () => {
  test.each([
    [1250, 'CNY', '¥12.50'],
    [1, 'CNY', '¥0.01'],
    [0, 'CNY', '¥0.00'],
    [20000, 'CNY', '¥200.00'],
    [198750, 'CNY', '¥1,987.50'],
    [123456789012, 'CNY', '¥1,234,567,890.12'],
    [-1250, 'CNY', '-¥12.50'],
    [1250, 'JPY', 'JP¥1,250'],
    [1250, 'USD', '$12.50'],
    [12345, 'KWD', 'KWD 12.345'],
    [1250, 'GBP', 'GBP 12.50'],
  ])('%i %s is %s', (minor, currency, text) => {
    expect(formatMoney({ minor, currency })).toBe(text);
  });

  test('uses integers only: no float rounding on amounts that have none', () => {
    // 0.29 * 100 is 28.999999999999996 in floating point.
    expect(formatAmount({ minor: 29, currency: 'CNY' })).toBe('0.29');
    expect(formatAmount({ minor: 100_000_000_000_01, currency: 'CNY' })).toBe('100000000000.01');
  });

  test('knows the decimals of each currency', () => {
    expect(minorDigits('CNY')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });

  test('shows what is being typed, grouped', () => {
    expect(formatTypedAmount('', 'CNY')).toBe('¥0');
    expect(formatTypedAmount('1234.5', 'CNY')).toBe('¥1,234.5');
    expect(formatTypedAmount('0.', 'CNY')).toBe('¥0.');
    expect(formatTypedAmount('12', 'GBP')).toBe('GBP 12');
  });
});
