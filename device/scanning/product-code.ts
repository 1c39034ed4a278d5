/**
 * Product barcodes: EAN-13 (GTIN-13) and UPC-A (GTIN-12), recognised by length and accepted only
 * when their check digit is right. The check digit is GS1's mod-10 (GS1 General Specifications,
 * "Check digit calculation"): from the right, excluding the check digit, weights 3, 1, 3, 1, ...;
 * the check digit brings the weighted sum up to a multiple of 10.
 */
import type { ProductCode } from './scan-event.ts';

export type ProductCodeResult = { ok: true; product: ProductCode } | { ok: false; reason: string };

const FORMAT_BY_LENGTH: Readonly<Record<number, { format: ProductCode['format']; name: string }>> = {
  13: { format: 'ean-13', name: 'EAN-13' },
  12: { format: 'upc-a', name: 'UPC-A' },
};

/** The GS1 mod-10 check digit for the digits before it (any length; digits only). */
export function gs1CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * An EAN-13 (13 digits) or UPC-A (12 digits) product code with its check digit verified, or the
 * reason it is not one: wrong length, something other than ASCII digits, or a wrong check digit
 * (the reason names the expected digit). A UPC-A sent as 13 digits with a leading 0 is an EAN-13.
 */
export function parseProductCode(text: string): ProductCodeResult {
  const kind = FORMAT_BY_LENGTH[text.length];
  if (!kind || !/^[0-9]+$/.test(text)) {
    return {
      ok: false,
      reason: `Not a product barcode: EAN-13 has 13 digits and UPC-A 12, this scan has ${text.length} characters${/^[0-9]*$/.test(text) ? '' : ' and not only digits'}.`,
    };
  }
  const expected = gs1CheckDigit(text.slice(0, -1));
  const actual = Number(text.slice(-1));
  if (expected !== actual) {
    return {
      ok: false,
      reason: `The ${kind.name} check digit is wrong: the last digit is ${actual}, expected ${expected} (GS1 mod-10 of the digits before it). The barcode was misread or misprinted: scan it again or type the number.`,
    };
  }
  return { ok: true, product: { format: kind.format, gtin: text } };
}
