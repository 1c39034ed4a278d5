/** The technician's reading panels: the offline policy in force, recent logs, the software version. */
import type { TechnicianOverview } from '../../api/contract.ts';
import { formatClock, useI18n } from '../../i18n/context.ts';
import type { MessageKey } from '../../i18n/dictionary.ts';
import { formatMoney } from '../../i18n/money.ts';
import {
  describeSource,
  logLevel,
  logLevelLabel,
  POLICY_LIMITS,
  type PolicyLimit,
  sourceOf,
} from '../../technician/overview.ts';

const LIMIT_LABEL: Readonly<Record<PolicyLimit, MessageKey>> = {
  perPayment: 'policy.perPayment',
  totalStored: 'policy.totalStored',
  maxStoredCount: 'policy.maxStoredCount',
  maxHoursSinceSync: 'policy.maxHoursSinceSync',
};

export function PolicyPanel({ policy }: { policy: TechnicianOverview['policy'] }) {
  const { t } = useI18n();
  const value = (limit: PolicyLimit): string => {
    switch (limit) {
      case 'perPayment':
      case 'totalStored':
        return formatMoney(policy[limit]);
      case 'maxStoredCount':
        return t('offline.countLeft.value', { count: policy.maxStoredCount });
      case 'maxHoursSinceSync':
        return t('offline.syncDue.hours', { hours: policy.maxHoursSinceSync });
    }
  };
  return (
    <div class="policy-panel">
      <h2 class="panel-title">{t('policy.title')}</h2>
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">{t('policy.col.limit')}</th>
            <th scope="col" class="numeric">
              {t('policy.col.value')}
            </th>
            <th scope="col">{t('policy.col.source')}</th>
          </tr>
        </thead>
        <tbody>
          {POLICY_LIMITS.map((limit) => (
            <tr key={limit} data-limit={limit}>
              <th scope="row">{t(LIMIT_LABEL[limit])}</th>
              <td class="numeric">{value(limit)}</td>
              <td>{describeSource(sourceOf(limit, policy.sources), t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LogsPanel({ logs }: { logs: TechnicianOverview['logs'] }) {
  const { t, language } = useI18n();
  if (logs.length === 0) return <p class="screen-explain">{t('logs.empty')}</p>;
  // Newest first on screen: the technician looks for what just happened.
  const lines = [...logs].reverse();
  return (
    <div class="logs-panel">
      <h2 class="panel-title">{t('logs.title')}</h2>
      <table class="data-table data-table--logs">
        <thead>
          <tr>
            <th scope="col">{t('logs.col.time')}</th>
            <th scope="col">{t('logs.col.level')}</th>
            <th scope="col">{t('logs.col.message')}</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i} class={`log-line log-line--${logLevel(line.level) ?? 'other'}`}>
              <td>{formatClock(line.time, language)}</td>
              <td>{logLevelLabel(line.level, t)}</td>
              <td>
                {line.module && <span class="log-line__module">{line.module}</span>} {line.msg}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AboutPanel({ overview }: { overview: TechnicianOverview }) {
  const { t } = useI18n();
  const { activation } = overview;
  return (
    <div class="about-panel">
      <dl class="facts">
        <div>
          <dt>{t('about.version')}</dt>
          <dd data-fact="version">{overview.version}</dd>
        </div>
        <div>
          <dt>{t('about.terminal')}</dt>
          <dd class="code">{overview.terminalId}</dd>
        </div>
        <div>
          <dt>{t('about.merchant')}</dt>
          <dd>{activation.merchantName ?? t('about.notSet')}</dd>
        </div>
        <div>
          <dt>{t('about.core')}</dt>
          <dd class="code">{activation.coreUrl ?? t('about.notSet')}</dd>
        </div>
      </dl>
    </div>
  );
}
