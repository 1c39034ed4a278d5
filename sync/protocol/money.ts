/**
 * Money on the wire and in the journal: an integer of minor units (fen for CNY) and an ISO 4217
 * currency code. Never a float. Shared by the terminal and the core.
 */
import { z } from 'zod';

/** Largest amount we accept: 12 integer digits keeps every minor-unit value a safe integer. */
const MAX_INTEGER_DIGITS = 12;

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
const minorDigitsCache = new Map<string, number>();

/** Number of decimals of a currency's minor unit (CNY 2, JPY 0, KWD 3), from ICU's ISO 4217 data. */
export function minorDigits(currency: string): number {
  let digits = minorDigitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
    minorDigitsCache.set(currency, digits);
  }
  return digits;
}

export function isKnownCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && knownCurrencies.has(code);
}

export const CurrencyCode = z
  .string()
  .refine(isKnownCurrency, { message: 'must be an ISO 4217 currency code in capitals, such as CNY' });
export type CurrencyCode = z.infer<typeof CurrencyCode>;

export const Money = z
  .object({
    minor: z.number().int().refine(Number.isSafeInteger, { message: 'must be a safe integer' }),
    currency: CurrencyCode,
  })
  .strict();
export type Money = z.infer<typeof Money>;

/** A payment amount: strictly positive. */
export const PaymentAmount = Money.refine((m) => m.minor > 0, {
  message: 'a payment amount must be greater than 0',
  path: ['minor'],
});

export class AmountError extends Error {
  readonly code = 'INVALID_AMOUNT';
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'AmountError';
  }
}

function example(digits: number): string {
  return digits === 0 ? '1250' : `12.${'50'.padEnd(digits, '0').slice(0, digits)}`;
}

/** The accepted form, for error messages: "digits with a point and at most 2 decimals, such as 12.50". */
export function acceptedAmountForm(currency = 'CNY'): string {
  const digits = minorDigits(currency);
  return digits === 0
    ? `whole ${currency} in plain digits, such as ${example(0)}`
    : `plain digits with a point and at most ${digits} decimal${digits === 1 ? '' : 's'}, such as ${example(digits)}`;
}

/**
 * Parses what a person typed ("12.50") into minor units, strictly. Surrounding spaces are ignored;
 * anything else that is not plain digits with at most the currency's decimals is refused, because a
 * guess here ("12,50" read as 1250?) moves someone's money.
 */
export function parseAmount(input: string, currency = 'CNY'): Money {
  if (!isKnownCurrency(currency)) {
    throw new AmountError(
      input,
      `Unknown currency "${currency}": use an ISO 4217 code in capitals, such as CNY.`,
    );
  }
  const digits = minorDigits(currency);
  const form = acceptedAmountForm(currency);
  const text = input.trim();
  if (text === '') throw new AmountError(input, `The amount is empty: enter ${form}.`);
  const fraction = digits === 0 ? '' : `(?:\\.([0-9]{1,${digits}}))?`;
  const match = new RegExp(`^(0|[1-9][0-9]*)${fraction}$`).exec(text);
  if (!match)
    throw new AmountError(input, `Invalid amount "${input}": ${explain(text, digits)}; enter ${form}.`);
  const whole = match[1] as string;
  if (whole.length > MAX_INTEGER_DIGITS) {
    throw new AmountError(
      input,
      `Invalid amount "${input}": too large (at most ${MAX_INTEGER_DIGITS} digits before the point).`,
    );
  }
  const frac = (match[2] ?? '').padEnd(digits, '0');
  const minor = Number(whole) * 10 ** digits + (frac === '' ? 0 : Number(frac));
  if (minor <= 0)
    throw new AmountError(
      input,
      `Invalid amount "${input}": the amount must be greater than 0; enter ${form}.`,
    );
  return { minor, currency };
}

/** Why a string is not an amount, in words a cashier understands. */
function explain(text: string, digits: number): string {
  if (/^[-−]/.test(text)) return 'the amount must be greater than 0';
  if (/^\+/.test(text)) return 'leave out the plus sign';
  if (/[eE]/.test(text) && /^[0-9.eE+-]+$/.test(text))
    return 'write the amount in plain digits, not with an exponent';
  if (/^[0-9]+,[0-9]+$/.test(text)) return 'use a point, not a comma, as the decimal separator';
  if (/[,\s']/.test(text) && /^[0-9,\s'.]+$/.test(text)) return 'leave out thousands separators';
  if (/[０-９．]/.test(text)) return 'use ASCII digits (switch the input method to half-width)';
  if (/^0[0-9]/.test(text)) return 'leave out leading zeros';
  const dot = text.indexOf('.');
  if (/^[0-9]+\.[0-9]+$/.test(text) && text.length - dot - 1 > digits) {
    return digits === 0 ? 'this currency has no decimals' : `at most ${digits} decimals are allowed`;
  }
  if (/^[0-9]*\.$/.test(text) || /^\.[0-9]+$/.test(text)) return 'write digits on both sides of the point';
  return 'it is not a number';
}

/** "12.50" for {minor:1250, currency:'CNY'}: the inverse of parseAmount for every accepted value. */
export function formatAmount(money: Money): string {
  const digits = minorDigits(money.currency);
  const sign = money.minor < 0 ? '-' : '';
  const abs = Math.abs(money.minor);
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10 ** digits;
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`;
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: 'JP¥' };

/** "¥2,000.00": for people (receipts, refusal messages), with thousands grouped. */
export function formatMoney(money: Money): string {
  const symbol = SYMBOLS[money.currency];
  const [whole, frac] = formatAmount({ ...money, minor: Math.abs(money.minor) }).split('.');
  const grouped = `${(whole as string).replace(/\B(?=(\d{3})+$)/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
  const sign = money.minor < 0 ? '-' : '';
  return symbol ? `${sign}${symbol}${grouped}` : `${sign}${money.currency} ${grouped}`;
}
