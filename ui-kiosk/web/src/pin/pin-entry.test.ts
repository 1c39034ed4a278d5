import { describe, expect, test } from 'vitest';
import { PIN_ATTEMPTS, PIN_LOCK_S, PIN_MAX_DIGITS } from '../api/contract.ts';
import {
  canSubmit,
  emptyPin,
  isOpen,
  lockSecondsLeft,
  type PinAction,
  type PinAnswer,
  type PinEntry,
  pinKeyFromKeyboard,
  pinReducer,
} from './pin-entry.ts';

const T0 = 1_000_000;

/** Types `keys` at time `now`: digits, "<" for backspace, "C" for clear. */
function type(keys: string, from: PinEntry = emptyPin, now = T0): PinEntry {
  return [...keys].reduce<PinEntry>((entry, key) => {
    const action: PinAction =
      key === '<'
        ? { type: 'backspace', now }
        : key === 'C'
          ? { type: 'clear', now }
          : { type: 'digit', digit: key, now };
    return pinReducer(entry, action);
  }, from);
}

/** Submits the digits and feeds the host's answer. */
function tryPin(entry: PinEntry, answer: PinAnswer, now = T0): PinEntry {
  const checking = pinReducer(entry, { type: 'submit', now });
  expect(checking.checking).toBe(true);
  return pinReducer(checking, { type: 'answer', answer, now });
}

const wrong = (attemptsLeft?: number): PinAnswer => ({
  ok: false,
  code: 'WRONG_PIN',
  message: 'Wrong PIN',
  status: 403,
  ...(attemptsLeft === undefined ? {} : { attemptsLeft }),
});

describe('typing a PIN', () => {
  test('takes digits up to the longest PIN, with backspace and clear', () => {
    expect(type('12').digits).toBe('12');
    expect(type('12<3').digits).toBe('13');
    expect(type('123C4').digits).toBe('4');
    expect(type('<').digits).toBe('');
    expect(type('1234567890').digits).toHaveLength(PIN_MAX_DIGITS);
  });

  test('refuses anything but a digit', () => {
    const entry = type('12');
    expect(pinReducer(entry, { type: 'digit', digit: 'a', now: T0 })).toBe(entry);
    expect(pinReducer(entry, { type: 'digit', digit: '12', now: T0 })).toBe(entry);
  });

  test('is sent only with 4 to 8 digits, once', () => {
    expect(canSubmit(type('123'), T0)).toBe(false);
    expect(pinReducer(type('123'), { type: 'submit', now: T0 }).checking).toBe(false);
    expect(canSubmit(type('1234'), T0)).toBe(true);
    const checking = pinReducer(type('1234'), { type: 'submit', now: T0 });
    expect(checking.checking).toBe(true);
    // While the host checks, keys and a second submit change nothing.
    expect(pinReducer(checking, { type: 'digit', digit: '5', now: T0 })).toBe(checking);
    expect(pinReducer(checking, { type: 'submit', now: T0 })).toBe(checking);
    expect(canSubmit(checking, T0)).toBe(false);
  });

  test('an answer without a try under way is ignored', () => {
    const entry = type('1234');
    expect(pinReducer(entry, { type: 'answer', answer: { ok: true }, now: T0 })).toBe(entry);
  });
});

describe("the host's answers", () => {
  test('right: accepted, the digits forgotten, the pad closed', () => {
    const entry = tryPin(type('1234'), { ok: true });
    expect(entry).toEqual({ digits: '', checking: false, accepted: true, problem: null });
    expect(isOpen(entry, T0)).toBe(false);
  });

  test('wrong: the digits cleared, the tries left kept, and the pad open for the next try', () => {
    let entry = tryPin(type('0000'), wrong(PIN_ATTEMPTS - 1));
    expect(entry.digits).toBe('');
    expect(entry.problem).toEqual({ kind: 'wrong', attemptsLeft: PIN_ATTEMPTS - 1 });
    expect(isOpen(entry, T0)).toBe(true);
    // The problem stays on screen while the next PIN is typed.
    entry = type('12', entry);
    expect(entry.problem?.kind).toBe('wrong');
    expect(tryPin(type('1111'), wrong()).problem).toEqual({ kind: 'wrong', attemptsLeft: null });
  });

  test('locked: no key taken until the time is up, counted down in whole seconds', () => {
    const locked = tryPin(type('0000'), {
      ok: false,
      code: 'PIN_LOCKED',
      message: 'Locked',
      status: 423,
      retryAfterS: PIN_LOCK_S,
    });
    expect(locked.problem).toEqual({ kind: 'locked', until: T0 + PIN_LOCK_S * 1000 });
    expect(lockSecondsLeft(locked, T0)).toBe(PIN_LOCK_S);
    expect(lockSecondsLeft(locked, T0 + 100)).toBe(PIN_LOCK_S);
    expect(lockSecondsLeft(locked, T0 + 59_001)).toBe(1);
    expect(isOpen(locked, T0 + 59_999)).toBe(false);
    expect(pinReducer(locked, { type: 'digit', digit: '1', now: T0 + 30_000 })).toBe(locked);
    expect(pinReducer(locked, { type: 'tick', now: T0 + 30_000 })).toBe(locked);

    const open = pinReducer(locked, { type: 'tick', now: T0 + 60_000 });
    expect(open.problem).toBeNull();
    expect(lockSecondsLeft(open, T0 + 60_000)).toBe(0);
    // A key typed after the lock ran out, before the tick: taken, and the lock is over.
    const typed = pinReducer(locked, { type: 'digit', digit: '1', now: T0 + 61_000 });
    expect(typed).toMatchObject({ digits: '1', problem: null });
  });

  test('no PIN set on the terminal: the pad stays closed', () => {
    const entry = tryPin(type('1234'), { ok: false, code: 'PIN_NOT_SET', message: 'No PIN', status: 403 });
    expect(entry.problem).toEqual({ kind: 'not_set' });
    expect(isOpen(entry, T0 + 3_600_000)).toBe(false);
    expect(type('1', entry)).toBe(entry);
  });

  test("the action refused with the right PIN: the host's sentence, and the pad closed", () => {
    const message = 'An offline payment cannot be voided before it is settled.';
    for (const [code, status] of [
      ['ILLEGAL_TRANSITION', 409],
      ['CORE_REFUSED', 409],
      ['UNKNOWN_PAYMENT', 404],
    ] as const) {
      const entry = tryPin(type('1234'), { ok: false, code, message, status });
      expect(entry.problem, code).toEqual({ kind: 'refused', message });
      expect(isOpen(entry, T0), code).toBe(false);
    }
  });

  test('nothing done but worth a new try (no answer, the core unreachable): said, and the pad open', () => {
    for (const [code, status] of [
      ['UNREACHABLE', null],
      ['CORE_UNREACHABLE', 503],
      ['CORE_NO_ANSWER', 504],
    ] as const) {
      const entry = tryPin(type('1234'), { ok: false, code, message: 'no answer', status });
      expect(entry.problem, code).toEqual({ kind: 'failed', message: 'no answer' });
      expect(canSubmit(type('1234', entry), T0), code).toBe(true);
    }
  });
});

describe('the physical keyboard', () => {
  test('digits, Backspace, Delete to clear, Enter to submit; nothing else', () => {
    expect(pinKeyFromKeyboard('7')).toEqual({ type: 'digit', digit: '7' });
    expect(pinKeyFromKeyboard('Backspace')).toEqual({ type: 'backspace' });
    expect(pinKeyFromKeyboard('Delete')).toEqual({ type: 'clear' });
    expect(pinKeyFromKeyboard('Enter')).toEqual({ type: 'submit' });
    expect(pinKeyFromKeyboard('Escape')).toBeNull();
    expect(pinKeyFromKeyboard('a')).toBeNull();
    expect(pinKeyFromKeyboard('F1')).toBeNull();
  });
});
