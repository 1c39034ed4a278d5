/**
 * The end of a checkout, large and plain: approved, accepted offline, declined (and why), in doubt
 * (the terminal is checking with the core; the customer must not pay again), or not taken. A
 * payment in doubt updates here when the host resolves it.
 */
import { useRef } from 'preact/hooks';
import { type CheckoutState, type OfflineQueue, QR_SCHEME } from '../api/contract.ts';
import { describeResult, type ResultTone } from '../checkout/outcome.ts';
import { useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';
import { useKeys } from '../use-keys.ts';

interface Props {
  checkout: CheckoutState;
  queueAtStart: OfflineQueue | null;
  onNext: () => void;
  /** Shows the payment's receipt (picture and reprint). */
  onReceipt: () => void;
}

/** Keys pressed this soon after the result appears are not taken as "next payment": a double Enter. */
const KEY_GUARD_MS = 800;

const SYMBOL: Record<ResultTone, string> = {
  approved: '✓',
  offline: '✓',
  declined: '✕',
  unknown: '?',
  failed: '!',
};

export function ResultScreen({ checkout, queueAtStart, onNext, onReceipt }: Props) {
  const { t } = useI18n();
  const shownAt = useRef(performance.now());
  const view = describeResult(checkout, queueAtStart, t);

  useKeys((event) => {
    if (event.key !== 'Enter' && event.key !== 'Escape') return false;
    // A payment in doubt is left only by a deliberate touch or click, never by a stray key.
    if (!view.pending && performance.now() - shownAt.current > KEY_GUARD_MS) onNext();
    return true;
  });

  const payment = checkout.payment;
  return (
    <div class={`result-screen result-screen--${view.tone}`} data-tone={view.tone} aria-live="assertive">
      <div class="result-screen__symbol" aria-hidden="true">
        {view.pending ? <span class="progress-ring progress-ring--large" /> : SYMBOL[view.tone]}
      </div>
      <h1 class="result-screen__title">{view.title}</h1>
      <p class="result-screen__amount">{formatMoney(payment?.amount ?? checkout.amount)}</p>
      <ul class="result-screen__lines">
        {view.lines.map((line, i) => (
          <li key={line} class={i === 0 ? 'result-screen__lead' : undefined}>
            {line}
          </li>
        ))}
      </ul>
      {payment && (
        <p class="result-screen__meta">
          {payment.scheme === QR_SCHEME ? t('result.byQr') : t('result.code', { code: payment.codeMasked })}
        </p>
      )}
      {checkout.receipt && !checkout.receipt.printed && (
        <p class="result-screen__meta result-screen__receipt">
          {t('result.receiptNotPrinted', { problem: checkout.receipt.problem ?? '' })}
        </p>
      )}
      {view.recorded && (
        <p class="result-screen__recorded">{t('result.recorded', { reason: view.recorded })}</p>
      )}
      <div class="result-screen__actions">
        <button
          type="button"
          class={`button button--large${view.pending ? '' : ' button--primary'}`}
          onClick={onNext}
        >
          {t('result.next')}
        </button>
        {payment && (view.tone === 'approved' || view.tone === 'offline') && (
          <button type="button" class="button" onClick={onReceipt}>
            {t('result.receipt')}
          </button>
        )}
        {!view.pending && <span class="key-hint">{t('result.nextHint')}</span>}
      </div>
    </div>
  );
}
