import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gs1CheckDigit, parseProductCode } from './product-code.ts';

describe('parseProductCode', () => {
  it.each([
    ['4006381333931', 'ean-13'],
    ['5901234123457', 'ean-13'],
    ['6901234567892', 'ean-13'], // a China (690–699) prefix
    ['9787111213826', 'ean-13'], // an ISBN-13
    ['0036000291452', 'ean-13'], // a UPC-A sent as 13 digits stays what it was sent as
    ['036000291452', 'upc-a'],
    ['012345678905', 'upc-a'],
  ])('accepts %s as %s', (gtin, format) => {
    expect(parseProductCode(gtin)).toEqual({ ok: true, product: { format, gtin } });
  });

  it.each([
    ['4006381333932', 'EAN-13', 'the last digit is 2, expected 1'],
    ['5901234123450', 'EAN-13', 'the last digit is 0, expected 7'],
    ['036000291453', 'UPC-A', 'the last digit is 3, expected 2'],
    ['012345678900', 'UPC-A', 'the last digit is 0, expected 5'],
  ])('refuses %s: wrong %s check digit', (gtin, name, detail) => {
    const result = parseProductCode(gtin);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(`${name} check digit is wrong`);
      expect(result.reason).toContain(detail);
    }
  });

  it.each(['40063813339', '40063813339311', '400638133393a', '４００６３８１３３３９３１', ''])(
    'refuses %j: not 12 or 13 ASCII digits',
    (text) => {
      expect(parseProductCode(text)).toMatchObject({ ok: false, reason: /Not a product barcode/ });
    },
  );

  it('accepts exactly one check digit for every body (GS1 mod-10)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11,12}$/), fc.integer({ min: 0, max: 9 }), (body, digit) => {
        const result = parseProductCode(`${body}${digit}`);
        expect(result.ok).toBe(digit === gs1CheckDigit(body));
      }),
    );
  });
});
