import { describe, expect, test } from 'vitest';
import {
  type AmountEntry,
  type AmountKey,
  amountMinor,
  amountText,
  canCharge,
  editAmount,
  emptyAmount,
  keyFromKeyboard,
  MAX_WHOLE_DIGITS,
} from './amount-entry.ts';

/** Keys as a cashier presses them: digits, "00", "." and "<" for backspace, "C" for clear. */
function press(keys: string, start: AmountEntry = emptyAmount()): AmountEntry {
  const tokens = keys.match(/00|./g) ?? [];
  return tokens.reduce((entry, token) => {
    const key: AmountKey =
      token === '00'
        ? { kind: 'double_zero' }
        : token === '.'
          ? { kind: 'point' }
          : token === '<'
            ? { kind: 'backspace' }
            : token === 'C'
              ? { kind: 'clear' }
              : { kind: 'digit', digit: token as '0' };
    return editAmount(entry, key);
  }, start);
}

describe('editing the amount', () => {
  test.each([
    ['12.5', '12.5', 1250],
    ['12.50', '12.50', 1250],
    ['1250', '1250', 125000],
    ['100', '100', 10000],
    ['.5', '0.5', 50],
    ['0.05', '0.05', 5],
    ['007', '7', 700],
    ['0', '0', 0],
    ['00', '0', 0],
    ['000', '0', 0],
    ['5', '5', 500],
    ['200.01', '200.01', 20001],
  ])('%s shows %s (%i fen)', (keys, text, minor) => {
    const entry = press(keys);
    expect(entry.text).toBe(text);
    expect(amountMinor(entry)).toBe(minor);
  });

  test('takes at most the currency decimals and one point', () => {
    expect(press('1.234').text).toBe('1.23');
    expect(press('1.2.3').text).toBe('1.23');
    expect(press('1.00').text).toBe('1.00');
    expect(press('1.200').text).toBe('1.20');
    expect(press('1.5', emptyAmount(0)).text).toBe('15');
    expect(press('1.2345', emptyAmount(3)).text).toBe('1.234');
    expect(amountMinor(press('1.5', emptyAmount(3)))).toBe(1500);
  });

  test(`takes at most ${MAX_WHOLE_DIGITS} digits before the point`, () => {
    const full = press('123456789');
    expect(full.text).toBe('12345678');
    expect(press('00', full).text).toBe('12345678');
    expect(press('.99', full).text).toBe('12345678.99');
    expect(amountMinor(press('.99', full))).toBe(1_234_567_899);
  });

  test('backspace and clear', () => {
    expect(press('12.5<').text).toBe('12.');
    expect(press('12.5<<').text).toBe('12');
    expect(press('.<').text).toBe('');
    expect(press('0.<').text).toBe('');
    expect(press('<').text).toBe('');
    expect(press('12.5C').text).toBe('');
    expect(press('12C3').text).toBe('3');
  });

  test('what is sent to the host, and when it may be', () => {
    expect(amountText(press('12.'))).toBe('12');
    expect(amountText(press('12.5'))).toBe('12.5');
    expect(canCharge(press(''))).toBe(false);
    expect(canCharge(press('0.'))).toBe(false);
    expect(canCharge(press('0.00'))).toBe(false);
    expect(canCharge(press('0.01'))).toBe(true);
  });

  test('a key that changes nothing returns the same state', () => {
    const entry = press('1.23');
    expect(editAmount(entry, { kind: 'digit', digit: '4' })).toBe(entry);
    expect(editAmount(entry, { kind: 'point' })).toBe(entry);
  });

  test('reads the physical keyboard', () => {
    expect(keyFromKeyboard('7')).toEqual({ kind: 'digit', digit: '7' });
    expect(keyFromKeyboard('.')).toEqual({ kind: 'point' });
    expect(keyFromKeyboard(',')).toEqual({ kind: 'point' });
    expect(keyFromKeyboard('Backspace')).toEqual({ kind: 'backspace' });
    expect(keyFromKeyboard('Escape')).toEqual({ kind: 'clear' });
    expect(keyFromKeyboard('Delete')).toEqual({ kind: 'clear' });
    expect(keyFromKeyboard('a')).toBeNull();
    expect(keyFromKeyboard('Enter')).toBeNull();
    expect(keyFromKeyboard('F5')).toBeNull();
  });
});
