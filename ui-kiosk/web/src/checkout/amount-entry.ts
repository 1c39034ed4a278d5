/**
 * The amount a cashier types on the keypad (or the keyboard), as a pure reducer: the text on the
 * screen, edited key by key, always a prefix of a valid amount ("12.", "0.5", "120"). What is sent
 * to the host is the text ("12.50"): the host parses it strictly (sync/protocol/money.ts), so the
 * renderer never decides what an amount is worth; `amountMinor` only feeds the display and the
 * offline-room hint.
 */
import type { Money } from '../api/contract.ts';

/** Integer digits allowed before the point: ¥99,999,999.99 is far beyond any counter payment. */
export const MAX_WHOLE_DIGITS = 8;

export interface AmountEntry {
  /** What the cashier typed: digits, at most one point, at most `decimals` digits after it. */
  text: string;
  /** Decimals of the currency (CNY 2, JPY 0). */
  decimals: number;
}

export type AmountKey =
  | { kind: 'digit'; digit: '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' }
  | { kind: 'double_zero' }
  | { kind: 'point' }
  | { kind: 'backspace' }
  | { kind: 'clear' };

export function emptyAmount(decimals = 2): AmountEntry {
  return { text: '', decimals };
}

function typeDigit(entry: AmountEntry, digit: string): AmountEntry {
  const { text, decimals } = entry;
  const point = text.indexOf('.');
  if (point >= 0) {
    if (text.length - point - 1 >= decimals) return entry;
    return { ...entry, text: text + digit };
  }
  // "0" then "5" is "5": no leading zeros; "0" then "0" stays "0".
  if (text === '0') return { ...entry, text: digit };
  if (text.length >= MAX_WHOLE_DIGITS) return entry;
  return { ...entry, text: text + digit };
}

/** The next state after one key. A key that would make the text invalid leaves it unchanged. */
export function editAmount(entry: AmountEntry, key: AmountKey): AmountEntry {
  switch (key.kind) {
    case 'digit':
      return typeDigit(entry, key.digit);
    case 'double_zero':
      return typeDigit(typeDigit(entry, '0'), '0');
    case 'point':
      if (entry.decimals === 0 || entry.text.includes('.')) return entry;
      return { ...entry, text: entry.text === '' ? '0.' : `${entry.text}.` };
    case 'backspace': {
      const text = entry.text.slice(0, -1);
      // "0." minus the point is "0", which the cashier did not type: clear it too.
      return { ...entry, text: text === '0' && entry.text === '0.' ? '' : text };
    }
    case 'clear':
      return { ...entry, text: '' };
  }
}

/** The amount in minor units ("12.5" → 1250), or 0 while nothing is typed. */
export function amountMinor(entry: AmountEntry): number {
  if (entry.text === '' || entry.text === '0.') return 0;
  const [whole = '', frac = ''] = entry.text.split('.');
  return Number(whole || '0') * 10 ** entry.decimals + Number(frac.padEnd(entry.decimals, '0') || '0');
}

export function amountMoney(entry: AmountEntry, currency: string): Money {
  return { minor: amountMinor(entry), currency };
}

/** Whether the amount may be charged: more than zero. */
export function canCharge(entry: AmountEntry): boolean {
  return amountMinor(entry) > 0;
}

/** The text sent to the host: "12." becomes "12", "12.5" stays (the host accepts 1 or 2 decimals). */
export function amountText(entry: AmountEntry): string {
  return entry.text.endsWith('.') ? entry.text.slice(0, -1) : entry.text;
}

/** The key a physical keyboard's `KeyboardEvent.key` means, if any. */
export function keyFromKeyboard(key: string): AmountKey | null {
  if (key.length === 1 && key >= '0' && key <= '9') {
    return { kind: 'digit', digit: key as Extract<AmountKey, { kind: 'digit' }>['digit'] };
  }
  // Some numeric keypads send "," for their decimal key (German layouts, for example).
  if (key === '.' || key === ',' || key === 'Decimal') return { kind: 'point' };
  if (key === 'Backspace') return { kind: 'backspace' };
  if (key === 'Delete' || key === 'Escape' || key === 'Clear') return { kind: 'clear' };
  return null;
}
