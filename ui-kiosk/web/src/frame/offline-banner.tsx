/**
 * The offline banner: shown whenever the terminal is not online, and never dismissable. It says
 * what is stored and how much room is left under each offline limit, from HostStatus.queue.
 */
import type { HostStatus, SyncProgress } from '../api/contract.ts';
import { connectivity } from '../checkout/offline-room.ts';
import { formatDateTime, useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';

interface Props {
  status: HostStatus;
  sync: SyncProgress | null;
}

export function OfflineBanner({ status, sync }: Props) {
  const { t, language } = useI18n();
  const state = connectivity(status);
  if (state === 'online') {
    return sync ? (
      <div class="sync-strip" role="status">
        {t('sync.progress', { sent: sync.sent, total: sync.total })}
      </div>
    ) : null;
  }
  const { queue } = status;
  const { remaining } = queue;
  const currency = queue.limits.perPayment.currency;
  const stored = { minor: queue.totals[currency] ?? 0, currency };
  const paused =
    remaining.storedCount <= 0 ||
    remaining.hoursLeft <= 0 ||
    remaining.clockBehind ||
    remaining.forwardingBlocked !== null;
  return (
    <section
      class={`offline-banner${paused ? ' offline-banner--paused' : ''}`}
      aria-label={t('status.offline')}
    >
      <p class="offline-banner__title">
        <strong>{t(`offline.title.${state}`)}</strong>{' '}
        <span class="offline-banner__explain">{paused ? t('offline.paused') : t('offline.explain')}</span>
      </p>
      <dl class="offline-banner__stats">
        <div class="stat" data-stat="stored">
          <dt>{t('offline.stored.label')}</dt>
          <dd>{t('offline.stored.value', { count: queue.pending, amount: formatMoney(stored) })}</dd>
        </div>
        <div class="stat" data-stat="next-max">
          <dt>{t('offline.nextMax.label')}</dt>
          <dd>{formatMoney(remaining.nextPaymentMax)}</dd>
        </div>
        <div class="stat" data-stat="amount-left">
          <dt>{t('offline.amountLeft.label')}</dt>
          <dd>{formatMoney(remaining.totalStored)}</dd>
        </div>
        <div class="stat" data-stat="count-left">
          <dt>{t('offline.countLeft.label')}</dt>
          <dd>{t('offline.countLeft.value', { count: remaining.storedCount })}</dd>
        </div>
        <div class="stat" data-stat="sync-due">
          <dt>{t('offline.syncDue.label')}</dt>
          {remaining.clockBehind ? (
            <dd>{t('limit.clock')}</dd>
          ) : (
            <dd>
              {t('offline.syncDue.hours', { hours: remaining.hoursLeft })}{' '}
              <small>
                {t('offline.syncDue.by', { time: formatDateTime(remaining.syncDueBy, language) })}
              </small>
            </dd>
          )}
        </div>
      </dl>
    </section>
  );
}
