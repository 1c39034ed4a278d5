/**
 * Today's payments with their states. Payments the core declined after an offline acceptance
 * (`declined_after_sync`) are money the merchant did not get: they are counted at the top and
 * their rows stand out.
 */
import { useEffect } from 'preact/hooks';
import { type PaymentRecord, QR_SCHEME } from '../api/contract.ts';
import { coreReason } from '../checkout/outcome.ts';
import { formatTime, useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';

interface Props {
  payments: PaymentRecord[] | null;
  error: string | null;
  onRefresh: () => void;
  /** Opens a payment: its receipt, reprint, void and refund. */
  onOpen: (payment: PaymentRecord) => void;
}

/** Whether `iso` falls on the same local day as `now`. */
export function isSameDay(iso: string, now: Date): boolean {
  const date = new Date(iso);
  return (
    date.getFullYear() === now.getFullYear() &&
    date.getMonth() === now.getMonth() &&
    date.getDate() === now.getDate()
  );
}

export function PaymentsScreen({ payments, error, onRefresh, onOpen }: Props) {
  const { t, language } = useI18n();
  useEffect(onRefresh, []);

  const now = new Date();
  const today = payments?.filter((p) => isSameDay(p.capturedAt, now)) ?? null;
  const lost = today?.filter((p) => p.status === 'declined_after_sync') ?? [];
  return (
    <div class="payments-screen">
      <div class="payments-screen__head">
        <h1 class="screen-title">{t('payments.title')}</h1>
        {today && <span class="payments-screen__count">{t('payments.count', { count: today.length })}</span>}
        <button type="button" class="button" onClick={onRefresh}>
          {t('payments.refresh')}
        </button>
      </div>
      {lost.length > 0 && (
        <p class="lost-alert" role="alert">
          {t('payments.declinedAfterSync', { count: lost.length })}
        </p>
      )}
      {error && (
        <p class="form-error" role="alert">
          {t('payments.failed', { message: error })}
        </p>
      )}
      {today === null && !error && <p class="screen-explain">{t('payments.loading')}</p>}
      {today?.length === 0 && <p class="screen-explain">{t('payments.empty')}</p>}
      {today && today.length > 0 && (
        <table class="payments-table">
          <thead>
            <tr>
              <th scope="col">{t('payments.col.time')}</th>
              <th scope="col" class="numeric">
                {t('payments.col.amount')}
              </th>
              <th scope="col">{t('payments.col.status')}</th>
              <th scope="col">{t('payments.col.code')}</th>
              <th scope="col" class="payments-table__actions">
                <span class="visually-hidden">{t('payments.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {today.map((p) => (
              <tr key={p.paymentId} class={`payment-row payment-row--${p.status}`} data-status={p.status}>
                <td>{formatTime(p.capturedAt, language)}</td>
                <td class="numeric">{formatMoney(p.amount)}</td>
                <td>
                  <span class={`state-badge state-badge--${p.status}`}>{t(`payment.${p.status}`)}</span>
                  {(p.status === 'declined' || p.status === 'declined_after_sync') &&
                    coreReason(p.reason, t) && <span class="payment-reason">{coreReason(p.reason, t)}</span>}
                </td>
                <td class="code">{p.scheme === QR_SCHEME ? t('scheme.merchant_qr') : p.codeMasked}</td>
                <td class="payments-table__actions">
                  <button
                    type="button"
                    class="button"
                    aria-label={t('payments.openLabel', {
                      amount: formatMoney(p.amount),
                      time: formatTime(p.capturedAt, language),
                    })}
                    onClick={() => onOpen(p)}
                  >
                    {t('payments.open')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
