/**
 * A PIN being typed on the PIN pad (supervisor for void and refund, technician for the technician
 * screens), as a pure reducer: the digits (never shown: the pad draws one dot per digit), the
 * check under way, and what the host said about the last try: wrong (with the tries left), locked
 * (until when), no PIN set on this terminal, or the action refused although the PIN was right.
 *
 * Time comes in with the actions (`now`, ms), so the lock's countdown is testable without a clock.
 */
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../api/contract.ts';

export type PinProblem =
  /** The PIN was wrong; `attemptsLeft` tries before it locks (unknown when the host did not say). */
  | { kind: 'wrong'; attemptsLeft: number | null }
  /** Too many wrong PINs: no try is taken before `until` (ms since the epoch). */
  | { kind: 'locked'; until: number }
  /** The terminal has no such PIN set: the action is disabled on this kiosk. */
  | { kind: 'not_set' }
  /**
   * The host refused for good (a 4xx): the action is not allowed on this payment (ILLEGAL_TRANSITION
   * and the like), or no longer possible; its sentence for the cashier. The same try would fail again.
   */
  | { kind: 'refused'; message: string }
  /** Nothing was done, but a new try may work (host or core unreachable, no answer): the message. */
  | { kind: 'failed'; message: string };

export interface PinEntry {
  /** The digits typed; cleared after every try, right or wrong. */
  digits: string;
  /** A try is with the host. */
  checking: boolean;
  /** The host took the PIN. */
  accepted: boolean;
  problem: PinProblem | null;
}

/** What the host answered to a try, as the screens hand it to the reducer. */
export type PinAnswer =
  | { ok: true }
  | {
      ok: false;
      code: string;
      message: string;
      /** The HTTP status; null when no answer came. */
      status: number | null;
      attemptsLeft?: number;
      retryAfterS?: number;
    };

export type PinAction =
  | { type: 'digit'; digit: string; now: number }
  | { type: 'backspace'; now: number }
  | { type: 'clear'; now: number }
  /** The cashier asks for the digits to be checked; see {@link canSubmit}. */
  | { type: 'submit'; now: number }
  | { type: 'answer'; answer: PinAnswer; now: number }
  /** Time passes (the lock's countdown). */
  | { type: 'tick'; now: number };

export const emptyPin: PinEntry = { digits: '', checking: false, accepted: false, problem: null };

/** Whether the pad takes keys at all: not while checking, locked, refused, disabled or done. */
export function isOpen(entry: PinEntry, now: number): boolean {
  if (entry.checking || entry.accepted) return false;
  const problem = entry.problem;
  if (problem === null || problem.kind === 'wrong' || problem.kind === 'failed') return true;
  return problem.kind === 'locked' && now >= problem.until;
}

/** Whether the digits may be sent: the pad is open and they are a PIN's length. */
export function canSubmit(entry: PinEntry, now: number): boolean {
  return isOpen(entry, now) && entry.digits.length >= PIN_MIN_DIGITS;
}

/** Seconds left on the lock, rounded up; 0 when the PIN is not locked (any more). */
export function lockSecondsLeft(entry: PinEntry, now: number): number {
  const problem = entry.problem;
  return problem?.kind === 'locked' ? Math.max(0, Math.ceil((problem.until - now) / 1000)) : 0;
}

/** The problem of an answer, the PIN's own codes named (api-schema.ts, "Second slice"). */
function problemOf(answer: Extract<PinAnswer, { ok: false }>, now: number): PinProblem {
  switch (answer.code) {
    case 'WRONG_PIN':
      return { kind: 'wrong', attemptsLeft: answer.attemptsLeft ?? null };
    case 'PIN_LOCKED':
      // Without a figure the host's own lock time is the best guess; the host refuses meanwhile anyway.
      return { kind: 'locked', until: now + (answer.retryAfterS ?? 0) * 1000 };
    case 'PIN_NOT_SET':
      return { kind: 'not_set' };
    default:
      // A 4xx is the host's decision on this request (ILLEGAL_TRANSITION, UNKNOWN_PAYMENT, …); a
      // 5xx or no answer leaves nothing recorded, and trying again is safe (api-schema.ts).
      return answer.status !== null && answer.status >= 400 && answer.status < 500
        ? { kind: 'refused', message: answer.message }
        : { kind: 'failed', message: answer.message };
  }
}

export function pinReducer(entry: PinEntry, action: PinAction): PinEntry {
  switch (action.type) {
    case 'digit': {
      if (!isOpen(entry, action.now) || !/^[0-9]$/.test(action.digit)) return entry;
      if (entry.digits.length >= PIN_MAX_DIGITS) return entry;
      // A lock that has run out is over once the next PIN is being typed.
      const problem = entry.problem?.kind === 'locked' ? null : entry.problem;
      return { ...entry, digits: entry.digits + action.digit, problem };
    }
    case 'backspace':
      return isOpen(entry, action.now) && entry.digits !== ''
        ? { ...entry, digits: entry.digits.slice(0, -1) }
        : entry;
    case 'clear':
      return isOpen(entry, action.now) && entry.digits !== '' ? { ...entry, digits: '' } : entry;
    case 'submit':
      return canSubmit(entry, action.now) ? { ...entry, checking: true } : entry;
    case 'answer':
      if (!entry.checking) return entry;
      return action.answer.ok
        ? { digits: '', checking: false, accepted: true, problem: null }
        : { digits: '', checking: false, accepted: false, problem: problemOf(action.answer, action.now) };
    case 'tick':
      // Only the lock's end changes anything; the same state is returned otherwise (no re-render).
      return entry.problem?.kind === 'locked' && action.now >= entry.problem.until
        ? { ...entry, problem: null }
        : entry;
  }
}

/** A key of the PIN pad, touched or typed. */
export type PinKey =
  | { type: 'digit'; digit: string }
  | { type: 'backspace' }
  | { type: 'clear' }
  | { type: 'submit' };

/** The key a physical keyboard's `KeyboardEvent.key` means on the PIN pad, if any. */
export function pinKeyFromKeyboard(key: string): PinKey | null {
  if (key.length === 1 && key >= '0' && key <= '9') return { type: 'digit', digit: key };
  if (key === 'Backspace') return { type: 'backspace' };
  if (key === 'Delete' || key === 'Clear') return { type: 'clear' };
  if (key === 'Enter') return { type: 'submit' };
  return null;
}
