/**
 * One payment's receipt: the picture the host draws (the same as the printer prints), the
 * payment's facts, and reprint with what became of it. Opened from today's payments it also offers
 * void and refund, which lead to the supervisor's PIN; the host decides whether the payment can
 * take them and says why not.
 */
import { useEffect, useState } from 'preact/hooks';
import type { HostApi, SupervisorAction } from '../api/client.ts';
import type { PaymentRecord, PaymentStatus } from '../api/contract.ts';
import { formatTime, useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';
import { refusalMessage } from '../i18n/refusal.ts';
import { schemeLabel } from '../shift/shift-report.ts';
import { useKeys } from '../use-keys.ts';
import { PrintOutcomeNote, type PrintState } from './print-outcome.tsx';

interface Props {
  api: HostApi;
  payment: PaymentRecord;
  onBack: () => void;
  /** Offered from today's payments: void or refund, behind the supervisor's PIN. */
  onSupervisor?: (action: SupervisorAction) => void;
}

/**
 * States in which money was taken, so a void or refund means something. The host holds the rules
 * (an offline payment must be settled first, for one) and refuses with a sentence for the cashier;
 * the kiosk does not repeat them, it only leaves the buttons off payments that took no money.
 */
const MONEY_TAKEN: ReadonlySet<PaymentStatus> = new Set(['approved', 'accepted_offline', 'settled']);

type Picture = { kind: 'loading' } | { kind: 'shown'; url: string } | { kind: 'failed'; message: string };

/**
 * The receipt picture through a blob: URL: an `<img src="/api/…">` could not carry the token. The
 * URL is revoked when the picture changes or the screen goes. `revision` redraws it (a payment
 * whose state changed prints differently).
 */
function useReceiptPicture(api: HostApi, paymentId: string, revision: string): Picture {
  const { t } = useI18n();
  const [picture, setPicture] = useState<Picture>({ kind: 'loading' });
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    setPicture({ kind: 'loading' });
    api.receiptImage(paymentId).then(
      (blob) => {
        if (!live) return;
        url = URL.createObjectURL(blob);
        setPicture({ kind: 'shown', url });
      },
      (err: unknown) => live && setPicture({ kind: 'failed', message: refusalMessage(err, t) }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, paymentId, revision]);
  return picture;
}

export function ReceiptScreen({ api, payment, onBack, onSupervisor }: Props) {
  const { t, language } = useI18n();
  const picture = useReceiptPicture(api, payment.paymentId, payment.updatedAt);
  const [print, setPrint] = useState<PrintState>({ kind: 'idle' });
  const amount = formatMoney(payment.amount);

  useKeys((event) => {
    if (event.key !== 'Escape') return false;
    onBack();
    return true;
  });

  const reprint = async () => {
    setPrint({ kind: 'busy' });
    try {
      setPrint({ kind: 'done', outcome: await api.reprint(payment.paymentId) });
    } catch (err) {
      setPrint({ kind: 'failed', message: refusalMessage(err, t) });
    }
  };

  const supervisor = onSupervisor && MONEY_TAKEN.has(payment.status) ? onSupervisor : undefined;
  return (
    <div class="receipt-screen">
      <div class="receipt-picture" aria-busy={picture.kind === 'loading' ? 'true' : undefined}>
        {picture.kind === 'loading' && (
          <p class="busy-line" role="status">
            <span class="busy-dot" aria-hidden="true" /> {t('receipt.loading')}
          </p>
        )}
        {picture.kind === 'failed' && (
          <p class="form-error" role="alert">
            {t('receipt.failed', { message: picture.message })}
          </p>
        )}
        {picture.kind === 'shown' && (
          <img class="receipt-picture__img" src={picture.url} alt={t('receipt.alt', { amount })} />
        )}
      </div>
      <div class="receipt-side">
        <h1 class="screen-title">
          {t('receipt.title')} <span class="receipt-side__amount">{amount}</span>
        </h1>
        <dl class="facts">
          <div>
            <dt>{t('payments.col.status')}</dt>
            <dd>
              <span class={`state-badge state-badge--${payment.status}`} data-status={payment.status}>
                {t(`payment.${payment.status}`)}
              </span>
            </dd>
          </div>
          <div>
            <dt>{t('payments.col.time')}</dt>
            <dd>{formatTime(payment.capturedAt, language)}</dd>
          </div>
          <div>
            <dt>{t('receipt.scheme')}</dt>
            <dd>{schemeLabel(payment.scheme, t)}</dd>
          </div>
          <div>
            <dt>{t('payments.col.code')}</dt>
            <dd class="code">{payment.codeMasked}</dd>
          </div>
          <div>
            <dt>{t('receipt.seq')}</dt>
            <dd>{payment.seq}</dd>
          </div>
        </dl>
        <div class="action-row">
          <button
            type="button"
            class="button button--primary"
            disabled={print.kind === 'busy'}
            onClick={reprint}
          >
            {t('receipt.reprint')}
          </button>
          {supervisor && (
            <>
              <button type="button" class="button button--cancel" onClick={() => supervisor('void')}>
                {t('receipt.void')}
              </button>
              <button type="button" class="button button--cancel" onClick={() => supervisor('refund')}>
                {t('receipt.refund')}
              </button>
            </>
          )}
        </div>
        <PrintOutcomeNote state={print} busyText={t('receipt.reprinting')} />
        {supervisor && <p class="key-hint">{t('receipt.supervisorHint')}</p>}
        <div class="action-row">
          <button type="button" class="button" onClick={onBack}>
            {t('common.back')}
          </button>
          <span class="key-hint">{t('common.backHint')}</span>
        </div>
      </div>
    </div>
  );
}
