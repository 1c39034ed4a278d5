/**
 * Payment-code (付款码) classification by prefix and length. The table is data
 * (payment-code-schemes.json), validated when loaded; this file only applies it.
 */
import { z } from 'zod';
import table from './payment-code-schemes.json' with { type: 'json' };

export const SchemeRule = z
  .object({
    scheme: z.string().regex(/^[a-z][a-z0-9_]*$/),
    /** Inclusive ranges of the code's first two digits. */
    prefixes: z
      .array(
        z.object({ from: z.number().int().min(0).max(99), to: z.number().int().min(0).max(99) }).strict(),
      )
      .min(1),
    length: z.object({ min: z.number().int().min(3), max: z.number().int().min(3) }).strict(),
  })
  .strict();
export type SchemeRule = z.infer<typeof SchemeRule>;

export const SchemeTable = z
  .object({ $comment: z.string().optional(), schemes: z.array(SchemeRule).min(1) })
  .strict();

export const DEFAULT_SCHEMES: readonly SchemeRule[] = SchemeTable.parse(table).schemes;

export class PaymentCodeError extends Error {
  readonly code = 'INVALID_PAYMENT_CODE';
  constructor(message: string) {
    super(message);
    this.name = 'PaymentCodeError';
  }
}

export interface ClassifiedCode {
  scheme: string;
  code: string;
  /** First two and last four digits, for receipts, logs and exports. */
  masked: string;
}

export function maskCode(code: string): string {
  if (code.length <= 6) return '*'.repeat(code.length);
  // Far longer than any payment code (a stuck scanner, a paste gone wrong): its length, not a line
  // of thousands of stars.
  if (code.length > MASK_IN_FULL_UP_TO)
    return `${code.slice(0, 2)}****…****${code.slice(-4)} (${code.length} characters)`;
  return `${code.slice(0, 2)}${'*'.repeat(code.length - 6)}${code.slice(-4)}`;
}

/** Every payment code of the schemes (at most 24 digits) is masked in full, star for digit. */
const MASK_IN_FULL_UP_TO = 32;

/**
 * Returns the scheme of a scanned or typed payment code, or throws PaymentCodeError saying why it
 * is not one. Never guesses: a code that matches no rule is refused.
 */
export function classifyPaymentCode(
  input: string,
  schemes: readonly SchemeRule[] = DEFAULT_SCHEMES,
): ClassifiedCode {
  const code = input.trim();
  if (code === '')
    throw new PaymentCodeError(
      "The payment code is empty: scan the code shown in the customer's wallet app.",
    );
  if (!/^[0-9]+$/.test(code)) {
    throw new PaymentCodeError(
      `"${maskCode(code)}" is not a payment code: payment codes are digits only. Scan the code in the customer's wallet app (付款码).`,
    );
  }
  const prefix = Number(code.slice(0, 2));
  for (const rule of schemes) {
    if (!rule.prefixes.some((p) => prefix >= p.from && prefix <= p.to)) continue;
    if (code.length >= rule.length.min && code.length <= rule.length.max) {
      return { scheme: rule.scheme, code, masked: maskCode(code) };
    }
  }
  const sameprefix = schemes.filter((r) => r.prefixes.some((p) => prefix >= p.from && prefix <= p.to));
  const hint =
    sameprefix.length > 0
      ? `${sameprefix.map((r) => r.scheme).join('/')} codes starting ${code.slice(0, 2)} have ${sameprefix.map((r) => lengthText(r)).join(' or ')}, this one has ${code.length}`
      : `no wallet's codes start with ${code.slice(0, 2)}`;
  throw new PaymentCodeError(
    `${maskCode(code)} is not a payment code we accept (${hint}). Ask the customer to show the payment code (付款码) in Alipay, WeChat Pay or UnionPay.`,
  );
}

function lengthText(rule: SchemeRule): string {
  return rule.length.min === rule.length.max
    ? `${rule.length.min} digits`
    : `${rule.length.min}–${rule.length.max} digits`;
}
