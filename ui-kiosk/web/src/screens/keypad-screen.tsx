/**
 * The amount keypad: digits, 00, point, clear and backspace as large touch targets, and the same
 * from a physical keyboard (digits, Backspace, Enter to charge, Escape to clear). When the terminal
 * is offline, the offline limits the amount would break are named before the customer's code is
 * spent; with no core at all the payment can't be taken, so Charge is held back. A keyboard-wedge
 * scanner's burst (use-wedge.ts) goes to the host as a scan and never into the amount; a person's
 * keys, held back while they might have been one, come to the same key handling as any other.
 */
import type { HostStatus } from '../api/contract.ts';
import {
  type AmountEntry,
  type AmountKey,
  amountMinor,
  canCharge,
  keyFromKeyboard,
} from '../checkout/amount-entry.ts';
import { connectivity, offlineLimitsBroken } from '../checkout/offline-room.ts';
import { describeLimit } from '../checkout/outcome.ts';
import { useI18n } from '../i18n/context.ts';
import { formatTypedAmount, minorDigits } from '../i18n/money.ts';
import { useKeys } from '../use-keys.ts';
import { useWedge } from '../wedge/use-wedge.ts';

interface Props {
  entry: AmountEntry;
  status: HostStatus;
  /** The call to start the checkout is under way. */
  starting: boolean;
  /** The event stream is open: without it the kiosk would not see the payment's result. */
  connected: boolean;
  error: string | null;
  onKey: (key: AmountKey) => void;
  onCharge: () => void;
  /** A keyboard-wedge scan told from typing: for the host, never an amount. */
  onScan: (data: string) => void;
}

const DIGIT_ROWS = [
  ['7', '8', '9'],
  ['4', '5', '6'],
  ['1', '2', '3'],
] as const;

export function KeypadScreen({ entry, status, starting, connected, error, onKey, onCharge, onScan }: Props) {
  const { t } = useI18n();
  const state = connectivity(status);
  const minor = amountMinor(entry);
  const broken = state === 'online' || minor === 0 ? [] : offlineLimitsBroken(status.queue, minor);
  // Without a core, the offline policy decides every payment: one it must refuse is not started.
  const blocked = broken.length > 0 && state === 'offline_only';
  const chargeable = canCharge(entry) && !blocked && !starting && connected;

  /** A physical key (`KeyboardEvent.key`): whether the keypad used it. */
  const keyboardKey = (name: string): boolean => {
    if (name === 'Enter') {
      if (chargeable) onCharge();
      return true;
    }
    const key = keyFromKeyboard(name);
    if (!key) return false;
    onKey(key);
    return true;
  };
  useKeys((event) => keyboardKey(event.key));
  useWedge(true, { onScan, onTyped: keyboardKey });

  const press = (key: AmountKey) => () => onKey(key);
  return (
    <div class="keypad-screen">
      <div class="amount-panel">
        <h1 class="screen-title">{t('keypad.title')}</h1>
        <output
          class={`amount-display${entry.text === '' ? ' amount-display--empty' : ''}`}
          aria-live="polite"
        >
          <span class="visually-hidden">{t('keypad.amountLabel')} </span>
          {formatTypedAmount(entry.text, status.terminal.currency)}
        </output>
        {broken.length > 0 && (
          <div class={`limit-warning${blocked ? ' limit-warning--blocked' : ''}`} role="alert">
            <ul>
              {broken.map((limit) => (
                <li key={limit.limit}>{describeLimit(limit, t)}</li>
              ))}
            </ul>
            <p>{blocked ? t('keypad.blocked') : t('keypad.mayBeRefused')}</p>
          </div>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <p class="key-hint">{t('keypad.keyboardHint')}</p>
      </div>
      <fieldset class="keypad">
        <legend class="visually-hidden">{t('keypad.title')}</legend>
        {DIGIT_ROWS.flat().map((digit) => (
          <button type="button" class="key" key={digit} onClick={press({ kind: 'digit', digit })}>
            {digit}
          </button>
        ))}
        <button type="button" class="key" onClick={press({ kind: 'digit', digit: '0' })}>
          0
        </button>
        <button type="button" class="key" onClick={press({ kind: 'double_zero' })}>
          00
        </button>
        <button
          type="button"
          class="key"
          aria-label={t('keypad.point')}
          disabled={minorDigits(status.terminal.currency) === 0}
          onClick={press({ kind: 'point' })}
        >
          .
        </button>
        <button
          type="button"
          class="key key--action key--backspace"
          aria-label={t('keypad.backspace')}
          onClick={press({ kind: 'backspace' })}
        >
          ⌫
        </button>
        <button type="button" class="key key--action key--clear" onClick={press({ kind: 'clear' })}>
          {t('keypad.clear')}
        </button>
        <button type="button" class="key key--charge" disabled={!chargeable} onClick={onCharge}>
          {t('keypad.charge')}
        </button>
      </fieldset>
    </div>
  );
}
