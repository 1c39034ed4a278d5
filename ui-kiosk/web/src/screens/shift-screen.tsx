/**
 * Shift close: a confirmation (what closing does), the wait while the host closes the shift and
 * prints the report, then the report itself (counts and totals by state and by scheme, the money
 * taken) and whether it printed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HostApi } from '../api/client.ts';
import type { ShiftClosed } from '../api/contract.ts';
import { useI18n } from '../i18n/context.ts';
import { refusalMessage } from '../i18n/refusal.ts';
import { type ReportLine, shiftPeriod, shiftReportView } from '../shift/shift-report.ts';
import { PrintOutcomeNote } from './print-outcome.tsx';

interface Props {
  api: HostApi;
  currency: string;
  /** Leaves the screen (back to the checkout). */
  onDone: () => void;
}

type Phase =
  | { kind: 'confirm'; error: string | null }
  | { kind: 'closing' }
  | { kind: 'closed'; result: ShiftClosed };

export function ShiftScreen({ api, currency, onDone }: Props) {
  const { t } = useI18n();
  const [phase, setPhase] = useState<Phase>({ kind: 'confirm', error: null });
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);

  const close = async () => {
    setPhase({ kind: 'closing' });
    try {
      setPhase({ kind: 'closed', result: await api.closeShift() });
    } catch (err) {
      setPhase({ kind: 'confirm', error: refusalMessage(err, t) });
    }
  };

  if (phase.kind === 'closed')
    return <ShiftReportView result={phase.result} currency={currency} onDone={onDone} />;
  const closing = phase.kind === 'closing';
  return (
    <div class="shift-screen" aria-busy={closing ? 'true' : undefined}>
      <h1 class="screen-title">{t('shift.title')}</h1>
      <p class="screen-explain">{t('shift.explain')}</p>
      {phase.kind === 'confirm' && phase.error && (
        <p class="form-error" role="alert">
          {t('shift.failed', { message: phase.error })}
        </p>
      )}
      {closing && (
        <p class="busy-line" role="status">
          <span class="busy-dot" aria-hidden="true" /> {t('shift.closing')}
        </p>
      )}
      <div class="action-row">
        <button
          ref={confirm}
          type="button"
          class="button button--primary button--large"
          disabled={closing}
          onClick={close}
        >
          {t('shift.confirm')}
        </button>
        <button type="button" class="button" disabled={closing} onClick={onDone}>
          {t('common.back')}
        </button>
      </div>
    </div>
  );
}

function ReportTable({ caption, lines }: { caption: string; lines: ReportLine[] }) {
  const { t } = useI18n();
  return (
    <table class="report-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">{caption}</span>
          </th>
          <th scope="col" class="numeric">
            {t('shift.col.count')}
          </th>
          <th scope="col" class="numeric">
            {t('shift.col.total')}
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.key} data-key={line.key}>
            <th scope="row">{line.label}</th>
            <td class="numeric">{line.count}</td>
            <td class="numeric">{line.totals}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ShiftReportView({
  result,
  currency,
  onDone,
}: {
  result: ShiftClosed;
  currency: string;
  onDone: () => void;
}) {
  const { t, language } = useI18n();
  const view = shiftReportView(result.report, { t, currency });
  const done = useRef<HTMLButtonElement>(null);
  useEffect(() => done.current?.focus(), []);
  return (
    <div class="shift-report">
      <div class="shift-report__head">
        <h1 class="screen-title">{t('shift.reportTitle', { no: view.shiftNo })}</h1>
        <p class="screen-explain">
          {shiftPeriod(view, language, t)} · {t('shift.payments', { count: view.payments })}
        </p>
      </div>
      <div class="shift-report__taken">
        <span class="label">{t('shift.taken')}</span>
        <strong class="shift-report__total" data-total="taken">
          {view.taken}
        </strong>
        <span class="key-hint">{t('shift.takenExplain')}</span>
      </div>
      {view.lost > 0 && (
        <p class="lost-alert" role="alert">
          {t('shift.lost', { count: view.lost })}
        </p>
      )}
      {view.payments === 0 ? (
        <p class="screen-explain">{t('shift.noPayments')}</p>
      ) : (
        <div class="shift-report__tables">
          <ReportTable caption={t('shift.byStatus')} lines={view.byStatus} />
          <ReportTable caption={t('shift.byScheme')} lines={view.byScheme} />
        </div>
      )}
      {view.earlier.length > 0 && (
        <div class="shift-report__tables">
          <ReportTable caption={t('shift.earlier')} lines={view.earlier} />
        </div>
      )}
      <div class="shift-report__print">
        <span class="label">{t('shift.print')}</span>
        <PrintOutcomeNote state={{ kind: 'done', outcome: result.print }} busyText="" />
      </div>
      <div class="action-row">
        <button ref={done} type="button" class="button button--primary button--large" onClick={onDone}>
          {t('shift.done')}
        </button>
      </div>
    </div>
  );
}
