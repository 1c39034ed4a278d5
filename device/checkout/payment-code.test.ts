import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyPaymentCode,
  DEFAULT_SCHEMES,
  maskCode,
  PaymentCodeError,
  SchemeTable,
} from './payment-code.ts';

const code = (prefix: string, length: number) => prefix + '7'.repeat(length - prefix.length);

describe('classifyPaymentCode', () => {
  it.each([
    // Alipay: 25–30, 16–24 digits
    ['25', 16, 'alipay'],
    ['25', 24, 'alipay'],
    ['28', 18, 'alipay'],
    ['30', 16, 'alipay'],
    ['30', 24, 'alipay'],
    // WeChat Pay: 10–15, 18 digits
    ['10', 18, 'wechat'],
    ['13', 18, 'wechat'],
    ['15', 18, 'wechat'],
    // UnionPay: 62, 16–20 digits
    ['62', 16, 'unionpay'],
    ['62', 20, 'unionpay'],
  ])('prefix %s with %i digits is %s', (prefix, length, scheme) => {
    expect(classifyPaymentCode(code(prefix, length)).scheme).toBe(scheme);
  });

  it.each([
    ['25', 15, 'alipay codes starting 25 have 16–24 digits, this one has 15'],
    ['30', 25, 'have 16–24 digits, this one has 25'],
    ['24', 18, 'no wallet'],
    ['31', 18, 'no wallet'],
    ['10', 17, 'wechat codes starting 10 have 18 digits'],
    ['15', 19, 'wechat codes starting 15 have 18 digits'],
    ['09', 18, 'no wallet'],
    ['16', 18, 'no wallet'],
    ['62', 15, 'unionpay codes starting 62 have 16–20 digits'],
    ['62', 21, 'unionpay'],
    ['61', 18, 'no wallet'],
    ['63', 18, 'no wallet'],
  ])('refuses prefix %s with %i digits (%s)', (prefix, length, why) => {
    expect(() => classifyPaymentCode(code(prefix, length))).toThrow(why);
  });

  it('refuses empty input and anything but digits, without echoing the code', () => {
    expect(() => classifyPaymentCode('')).toThrow(PaymentCodeError);
    expect(() => classifyPaymentCode('28123456789012345a')).toThrow(/digits only/);
    expect(() => classifyPaymentCode('２８１２３４５６７８９０１２３４５６')).toThrow(/digits only/);
    try {
      classifyPaymentCode('281234567890123x56');
    } catch (err) {
      expect((err as Error).message).not.toContain('281234567890123x56');
    }
  });

  it('masks all but the first two and last four digits', () => {
    expect(maskCode('281234567890123456')).toBe('28************3456');
    // Input far longer than any code is shown by its length.
    expect(maskCode(`28${'0'.repeat(4_994)}3456`)).toBe('28****…****3456 (5000 characters)');
    expect(maskCode('12345')).toBe('*****');
  });

  it('keeps its table as validated data, and never throws anything but PaymentCodeError', () => {
    expect(DEFAULT_SCHEMES.map((s) => s.scheme)).toEqual(['wechat', 'alipay', 'unionpay']);
    expect(
      SchemeTable.safeParse({ schemes: [{ scheme: 'x', prefixes: [], length: { min: 3, max: 4 } }] }).success,
    ).toBe(false);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{0,30}$/)), (input) => {
        try {
          const c = classifyPaymentCode(input);
          expect(['alipay', 'wechat', 'unionpay']).toContain(c.scheme);
        } catch (err) {
          expect(err).toBeInstanceOf(PaymentCodeError);
        }
      }),
    );
  });

  it('applies a table given as data', () => {
    const demo = [{ scheme: 'demo', prefixes: [{ from: 99, to: 99 }], length: { min: 10, max: 10 } }];
    expect(classifyPaymentCode('9912345678', demo).scheme).toBe('demo');
    expect(() => classifyPaymentCode(code('28', 18), demo)).toThrow(PaymentCodeError);
  });
});
