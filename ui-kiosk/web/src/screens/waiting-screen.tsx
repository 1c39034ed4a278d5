/**
 * A checkout waiting for the customer's payment code, then being taken. Says what is happening and
 * shows the amount; the code can be typed into the field; a keyboard-wedge scanner's burst is told
 * from typing (use-wedge.ts) and goes to the host as a scan, never into the field, while a person's
 * keys reach the field as usual. Cancel (or Escape) gives up while no code is in. Once a code is
 * in, the payment can no longer be cancelled, and the screen says the customer must not pay again.
 *
 * Beside the manual entry, "show QR" turns the checkout to the merchant's QR (qr-screen.tsx) for a
 * customer who would rather scan; it is held back, with the reason in words, while the core can't
 * be reached (a QR payment is made at the core). The `working` screen names its step: the payment
 * being taken, the QR being made, or the QR order being cancelled.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CheckoutState, ScanSummary } from '../api/contract.ts';
import type { QrOffer } from '../checkout/qr-order.ts';
import { useI18n } from '../i18n/context.ts';
import type { MessageKey } from '../i18n/dictionary.ts';
import { formatMoney } from '../i18n/money.ts';
import type { WorkingStep } from '../kiosk-state.ts';
import { useKeys } from '../use-keys.ts';
import { useWedge } from '../wedge/use-wedge.ts';

interface Props {
  checkout: CheckoutState;
  strayScan: ScanSummary | null;
  /** A call (code, QR or cancel) is under way. */
  busy: 'code' | 'qr' | 'cancel' | null;
  error: string | null;
  /** Whether "show QR" may be pressed now, and if not, why. */
  qr: QrOffer;
  /** What the checkout does while `working`. */
  step: WorkingStep;
  onCode: (code: string) => void;
  onShowQr: () => void;
  onCancel: () => void;
  /** A keyboard-wedge scan told from typing: the host routes it (a payment code pays). */
  onScan: (data: string) => void;
}

const WORKING_WORDS: Record<WorkingStep, { title: MessageKey; explain: MessageKey }> = {
  taking_payment: { title: 'work.title', explain: 'work.explain' },
  making_qr: { title: 'qr.making.title', explain: 'qr.making.explain' },
  cancelling_qr: { title: 'qr.cancelling.title', explain: 'qr.cancelling.explain' },
};

const QR_HELD_BACK: Record<Extract<QrOffer, { available: false }>['reason'], MessageKey> = {
  no_core: 'wait.qrNoCore',
  unreachable: 'wait.qrUnreachable',
  no_link: 'wait.qrNoLink',
};

export function WaitingScreen({
  checkout,
  strayScan,
  busy,
  error,
  qr,
  step,
  onCode,
  onShowQr,
  onCancel,
  onScan,
}: Props) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const input = useRef<HTMLInputElement>(null);
  // Anything past waiting for a code (`showing_qr` has its own screen once its `qr` is in).
  const working = checkout.phase !== 'waiting_code';

  useEffect(() => {
    if (!working) input.current?.focus();
  }, [working]);

  useWedge(!working, { onScan });
  useKeys((event) => {
    if (event.key !== 'Escape' || working) return false;
    if (!busy) onCancel();
    return true;
  });

  const submit = (event: Event) => {
    event.preventDefault();
    // The field itself: keys released by the wedge detector just before this Enter are in it.
    const typed = (input.current?.value ?? code).trim();
    if (typed === '' || busy || working) return;
    // The code is a one-time credential: it leaves the field as soon as it is sent.
    setCode('');
    onCode(typed);
  };

  if (working) {
    const words = WORKING_WORDS[step];
    return (
      <div class="waiting-screen waiting-screen--working" aria-busy="true" data-step={step}>
        <div class="progress-ring" aria-hidden="true" />
        <h1 class="screen-title">{t(words.title)}</h1>
        <p class="due-amount">{formatMoney(checkout.amount)}</p>
        <p class="screen-explain">{t(words.explain)}</p>
      </div>
    );
  }

  return (
    <div class="waiting-screen">
      <div class="waiting-screen__scan">
        <div class="scan-symbol" aria-hidden="true" />
        <div>
          <h1 class="screen-title">{t('wait.title')}</h1>
          <p class="screen-explain">{t('wait.explain')}</p>
        </div>
      </div>
      <div class="waiting-screen__amount">
        <span class="label">{t('wait.amountLabel')}</span>
        <span class="due-amount">{formatMoney(checkout.amount)}</span>
      </div>
      {strayScan && (
        <p class="form-error" role="alert">
          {t('reason.invalidCode')}
        </p>
      )}
      <form class="manual-code" onSubmit={submit}>
        <label for="manual-code">{t('wait.manualLabel')}</label>
        <div class="manual-code__row">
          <input
            id="manual-code"
            ref={input}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            autoCorrect="off"
            spellcheck={false}
            maxLength={64}
            value={code}
            onInput={(event) => setCode((event.target as HTMLInputElement).value)}
          />
          <button type="submit" class="button button--primary" disabled={code.trim() === '' || busy !== null}>
            {t('wait.manualSubmit')}
          </button>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
      <div class="qr-offer">
        <span class="qr-offer__or">{t('wait.qrOr')}</span>
        <button
          type="button"
          class="button qr-offer__button"
          disabled={!qr.available || busy !== null}
          aria-describedby={qr.available ? undefined : 'qr-held-back'}
          onClick={onShowQr}
        >
          <span class="qr-offer__symbol" aria-hidden="true" />
          {busy === 'qr' ? t('wait.qrAsking') : t('wait.qrShow')}
        </button>
        {!qr.available && (
          <p id="qr-held-back" class="qr-offer__reason">
            {t(QR_HELD_BACK[qr.reason])}
          </p>
        )}
      </div>
      <div class="waiting-screen__actions">
        <button type="button" class="button button--cancel" disabled={busy !== null} onClick={onCancel}>
          {busy === 'cancel' ? t('wait.cancelling') : t('wait.cancel')}
        </button>
        <span class="key-hint">{t('wait.keyboardHint')}</span>
      </div>
    </div>
  );
}
