/**
 * Money for people, from minor units: {minor: 1250, currency: 'CNY'} → "¥12.50". Integer maths
 * only (never minor / 100): the same rules as sync/protocol/money.ts's formatMoney, which the
 * renderer can't import (it is a host module and would bring zod into the bundle).
 */
import type { Money } from '../api/contract.ts';

const SYMBOLS: Readonly<Record<string, string>> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: 'JP¥' };

const digitsCache = new Map<string, number>();

/** Decimals of a currency's minor unit (CNY 2, JPY 0, KWD 3), from the browser's ICU data. */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits as number;
    } catch {
      // Not a currency ICU knows: the host validates currencies, so this is a display fallback only.
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** "12.50": the amount without a symbol or grouping, as a cashier types it. */
export function formatAmount(money: Money): string {
  const digits = minorDigits(money.currency);
  const sign = money.minor < 0 ? '-' : '';
  const abs = Math.abs(money.minor);
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10 ** digits;
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`;
}

/** "¥2,000.00": with the currency's symbol (or its code) and thousands grouped. */
export function formatMoney(money: Money): string {
  const [whole, frac] = formatAmount({ ...money, minor: Math.abs(money.minor) }).split('.');
  const grouped = `${(whole ?? '').replace(/\B(?=(\d{3})+$)/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
  const sign = money.minor < 0 ? '-' : '';
  const symbol = SYMBOLS[money.currency];
  return symbol ? `${sign}${symbol}${grouped}` : `${sign}${money.currency} ${grouped}`;
}

/** "¥1,234.5": what a cashier has typed so far ("1234.5"), grouped, with the currency's symbol. */
export function formatTypedAmount(text: string, currency: string): string {
  const [whole = '', frac] = text.split('.');
  const grouped = `${(whole || '0').replace(/\B(?=(\d{3})+$)/g, ',')}${frac === undefined ? '' : `.${frac}`}`;
  const symbol = SYMBOLS[currency];
  return symbol ? `${symbol}${grouped}` : `${currency} ${grouped}`;
}
