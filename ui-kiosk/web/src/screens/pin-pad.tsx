/**
 * The PIN pad: large digit keys and the physical keyboard (digits, Backspace, Delete, Enter,
 * Escape). The PIN is never shown, only one dot per digit; it is sent once, then forgotten. What the
 * host says about a try is shown in words: wrong with the tries left, locked with the seconds left
 * (the pad stays shut until then), no PIN set on this terminal, or the action refused.
 */
import { useEffect, useReducer, useState } from 'preact/hooks';
import { HostApiError } from '../api/client.ts';
import { PIN_LOCK_S, PIN_MIN_DIGITS } from '../api/contract.ts';
import { useI18n } from '../i18n/context.ts';
import type { Translate } from '../i18n/dictionary.ts';
import { refusalMessage } from '../i18n/refusal.ts';
import {
  emptyPin,
  isOpen,
  lockSecondsLeft,
  type PinAnswer,
  type PinEntry,
  type PinKey,
  pinKeyFromKeyboard,
  pinReducer,
} from '../pin/pin-entry.ts';
import { useKeys } from '../use-keys.ts';

interface Props {
  title: string;
  explain: string;
  /** Said when the terminal has no such PIN set (the host's PIN_NOT_SET). */
  notSetText: string;
  /** A note above the pad, e.g. that the last session ended. */
  note?: string | null;
  /** Sends the PIN to the host: resolves when it took it, throws its refusal otherwise. */
  check: (pin: string) => Promise<void>;
  onCancel: () => void;
}

/** How often the lock's countdown is redrawn. */
const LOCK_TICK_MS = 250;

const DIGIT_ROWS = ['789', '456', '123'] as const;

function answerOf(err: unknown, t: Translate): PinAnswer {
  if (!(err instanceof HostApiError)) {
    return { ok: false, code: 'FAILED', message: (err as Error).message, status: null };
  }
  const { attemptsLeft, retryAfterS } = err.facts;
  return {
    ok: false,
    code: err.code,
    message: refusalMessage(err, t),
    status: err.status,
    ...(attemptsLeft === undefined ? {} : { attemptsLeft }),
    // Without a figure, the host's lock time: the pad may wait longer than needed, never shorter.
    ...(err.code === 'PIN_LOCKED' ? { retryAfterS: retryAfterS ?? PIN_LOCK_S } : {}),
  };
}

function problemText(entry: PinEntry, now: number, notSetText: string, t: Translate): string | null {
  const problem = entry.problem;
  switch (problem?.kind) {
    case undefined:
      return null;
    case 'wrong':
      if (problem.attemptsLeft === null) return t('pin.wrongNoCount');
      return problem.attemptsLeft > 0 ? t('pin.wrong', { left: problem.attemptsLeft }) : t('pin.wrongNone');
    case 'locked':
      return t('pin.locked', { seconds: lockSecondsLeft(entry, now) });
    case 'not_set':
      return notSetText;
    case 'refused':
    case 'failed':
      // The host's sentence says whether to try again; the pad is open again only for a `failed`.
      return t('pin.refused', { message: problem.message });
  }
}

export function PinPad({ title, explain, notSetText, note, check, onCancel }: Props) {
  const { t } = useI18n();
  const [entry, dispatch] = useReducer(pinReducer, emptyPin);
  // Redraws the lock's countdown; the time shown is read at each drawing.
  const [, setTick] = useState(0);
  const now = Date.now();

  const locked = entry.problem?.kind === 'locked';
  useEffect(() => {
    if (!locked) return;
    const timer = setInterval(() => {
      setTick((n) => n + 1);
      dispatch({ type: 'tick', now: Date.now() });
    }, LOCK_TICK_MS);
    return () => clearInterval(timer);
  }, [locked]);

  // A submitted PIN goes to the host once; the reducer ignores a second submit while it checks.
  useEffect(() => {
    if (!entry.checking) return;
    let live = true;
    check(entry.digits).then(
      () => live && dispatch({ type: 'answer', answer: { ok: true }, now: Date.now() }),
      (err: unknown) => live && dispatch({ type: 'answer', answer: answerOf(err, t), now: Date.now() }),
    );
    return () => {
      live = false;
    };
  }, [entry.checking]);

  useKeys((event) => {
    if (event.key === 'Escape') {
      if (!entry.checking) onCancel();
      return true;
    }
    const key = pinKeyFromKeyboard(event.key);
    if (!key) return false;
    dispatch({ ...key, now: Date.now() });
    return true;
  });

  const press = (key: PinKey) => () => dispatch({ ...key, now: Date.now() });
  const open = isOpen(entry, now);
  const count = entry.digits.length;
  const closedForGood = entry.problem?.kind === 'refused' || entry.problem?.kind === 'not_set';
  const problem = problemText(entry, now, notSetText, t);
  return (
    <div class="pin-screen">
      <div class="pin-panel">
        <h1 class="screen-title">{title}</h1>
        <p class="screen-explain">{explain}</p>
        {note && (
          <p class="form-note" role="status">
            {note}
          </p>
        )}
        <p class="pin-dots" aria-live="polite">
          <span class="visually-hidden">{t('pin.entered', { count })}</span>
          {Array.from({ length: Math.max(count, PIN_MIN_DIGITS) }, (_, i) => (
            <span key={i} aria-hidden="true" class={`pin-dot${i < count ? ' pin-dot--filled' : ''}`} />
          ))}
        </p>
        {entry.checking && (
          <p class="busy-line" role="status">
            <span class="busy-dot" aria-hidden="true" /> {t('pin.checking')}
          </p>
        )}
        {problem && (
          <p class="form-error pin-problem" role="alert" data-problem={entry.problem?.kind}>
            {problem}
          </p>
        )}
        <div class="pin-panel__actions">
          <button
            type="button"
            class={`button${closedForGood ? ' button--primary' : ' button--cancel'}`}
            disabled={entry.checking}
            onClick={onCancel}
          >
            {closedForGood ? t('common.back') : t('pin.cancel')}
          </button>
          <span class="key-hint">{t('pin.keyHint')}</span>
        </div>
      </div>
      <fieldset class="keypad pin-keys" disabled={!open}>
        <legend class="visually-hidden">{t('pin.label')}</legend>
        {DIGIT_ROWS.flatMap((row) => [...row]).map((digit) => (
          <button type="button" class="key" key={digit} onClick={press({ type: 'digit', digit })}>
            {digit}
          </button>
        ))}
        <button type="button" class="key key--wide" onClick={press({ type: 'digit', digit: '0' })}>
          0
        </button>
        <button
          type="button"
          class="key key--action key--backspace"
          aria-label={t('keypad.backspace')}
          onClick={press({ type: 'backspace' })}
        >
          ⌫
        </button>
        <button type="button" class="key key--action key--clear" onClick={press({ type: 'clear' })}>
          {t('keypad.clear')}
        </button>
        <button
          type="button"
          class="key key--charge"
          disabled={count < PIN_MIN_DIGITS}
          onClick={press({ type: 'submit' })}
        >
          {t('pin.ok')}
        </button>
      </fieldset>
    </div>
  );
}
