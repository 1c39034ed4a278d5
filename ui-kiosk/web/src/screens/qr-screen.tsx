/**
 * The merchant's QR for the customer's wallet (`showing_qr`): the code as large as the screen
 * allows beside the amount, what the customer is to do, that the kiosk waits for the payment, and
 * the time left to pay. Cancel (or Escape) cancels the order at the core; the result (paid,
 * cancelled, expired) comes from the host as usual.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CheckoutQr, CheckoutState } from '../api/contract.ts';
import { formatCountdown, qrMsLeft } from '../checkout/qr-order.ts';
import { useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';
import { QrCode } from '../qr/qr-code.tsx';
import { useKeys } from '../use-keys.ts';

interface Props {
  checkout: CheckoutState & { qr: CheckoutQr };
  /** The cancel call is under way. */
  cancelling: boolean;
  error: string | null;
  onCancel: () => void;
}

/** How often the countdown is redrawn: it shows seconds. */
const TICK_MS = 250;

export function QrScreen({ checkout, cancelling, error, onCancel }: Props) {
  const { t } = useI18n();
  const amount = formatMoney(checkout.amount);
  // When this kiosk first showed this QR: the countdown never runs longer than the order's
  // validity from then (qr-order.ts), whatever the core's clock says.
  const shownAt = useRef(Date.now());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  const left = qrMsLeft({ expiresAt: checkout.qr.expiresAt, shownAt: shownAt.current }, now);

  useKeys((event) => {
    if (event.key !== 'Escape') return false;
    if (!cancelling) onCancel();
    return true;
  });

  return (
    <div class="qr-screen">
      <div class="qr-screen__code">
        <QrCode text={checkout.qr.text} label={t('qr.codeLabel', { amount })} />
      </div>
      <div class="qr-screen__side">
        <h1 class="screen-title">{t('qr.title')}</h1>
        <p class="due-amount">{amount}</p>
        <p class="qr-screen__waiting" aria-live="polite">
          <span class="busy-dot" aria-hidden="true" />
          {t('qr.waiting')}
        </p>
        {left > 0 ? (
          <p class="qr-screen__countdown" role="timer">
            {t('qr.timeLeft', { time: formatCountdown(left) })}
          </p>
        ) : (
          <p class="qr-screen__countdown qr-screen__countdown--expired" role="status">
            {t('qr.expired')}
          </p>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="qr-screen__actions">
          <button type="button" class="button button--cancel" disabled={cancelling} onClick={onCancel}>
            {cancelling ? t('wait.cancelling') : t('qr.cancel')}
          </button>
          <span class="key-hint">{t('qr.keyboardHint')}</span>
        </div>
      </div>
    </div>
  );
}
