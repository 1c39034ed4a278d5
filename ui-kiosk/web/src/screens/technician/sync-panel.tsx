/**
 * Sync: where the terminal stands with the payment core (state, reachable, what waits to be sent,
 * entries parked, the last sync and the last error) and "sync now", whose progress comes as `sync`
 * events: a bar, and the same in words.
 */
import type { SyncProgress, TechnicianOverview } from '../../api/contract.ts';
import { formatDateTime, useI18n } from '../../i18n/context.ts';
import { refusalMessage } from '../../i18n/refusal.ts';
import { syncFraction } from '../../technician/overview.ts';
import type { UseSession } from './technician-screen.tsx';

export type SyncRun =
  | { kind: 'idle' }
  /** "Sync now" pressed; the host has not answered yet. */
  | { kind: 'starting' }
  | { kind: 'running'; progress: SyncProgress }
  | { kind: 'finished'; progress: SyncProgress }
  /** The host refused to start it. */
  | { kind: 'refused'; message: string };

interface Props {
  sync: TechnicianOverview['sync'];
  run: SyncRun;
  onRun: (run: SyncRun) => void;
  use: UseSession;
}

export function SyncPanel({ sync, run, onRun, use }: Props) {
  const { t, language } = useI18n();
  const notActivated = sync.state === 'not_activated';
  const busy = run.kind === 'starting' || run.kind === 'running';

  const syncNow = async () => {
    onRun({ kind: 'starting' });
    try {
      await use((api) => api.syncNow());
      // 202: the progress comes as events; until the first, the sync is starting.
    } catch (err) {
      onRun({ kind: 'refused', message: refusalMessage(err, t) });
    }
  };

  const progress = run.kind === 'running' || run.kind === 'finished' ? run.progress : null;
  return (
    <div class="sync-panel">
      <h2 class="panel-title">{t('syncPanel.title')}</h2>
      <dl class="facts">
        <div>
          <dt>{t('syncPanel.state')}</dt>
          <dd data-sync-state={sync.state}>{t(`syncState.${sync.state}`)}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.reachable')}</dt>
          <dd>
            {t(
              sync.reachable === null
                ? 'reachable.unknown'
                : sync.reachable
                  ? 'reachable.yes'
                  : 'reachable.no',
            )}
          </dd>
        </div>
        <div>
          <dt>{t('syncPanel.pending')}</dt>
          <dd>{t('syncPanel.count', { count: sync.pending })}</dd>
        </div>
        <div>
          <dt>{t('syncPanel.lastSync')}</dt>
          <dd>{sync.lastSyncAt ? formatDateTime(sync.lastSyncAt, language) : t('syncPanel.never')}</dd>
        </div>
        <div class="facts__wide">
          <dt>{t('syncPanel.lastError')}</dt>
          <dd>
            {sync.lastError
              ? `${formatDateTime(sync.lastError.at, language)} ${sync.lastError.message}`
              : t('syncPanel.none')}
          </dd>
        </div>
        <div class="facts__wide">
          <dt>{t('syncPanel.parked')}</dt>
          <dd>
            {sync.parked.length === 0 ? (
              t('syncPanel.none')
            ) : (
              <ul>
                {sync.parked.map((p) => (
                  <li key={p.seq}>{t('syncPanel.parkedLine', { seq: p.seq, reason: p.reason })}</li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
      {notActivated && <p class="screen-explain">{t('syncPanel.notActivated')}</p>}
      <div class="action-row">
        <button
          type="button"
          class="button button--primary"
          disabled={busy || notActivated}
          onClick={syncNow}
        >
          {t('syncPanel.now')}
        </button>
      </div>
      {run.kind === 'starting' && (
        <p class="busy-line" role="status">
          <span class="busy-dot" aria-hidden="true" /> {t('syncPanel.starting')}
        </p>
      )}
      {progress && (
        <div class="sync-progress" data-done={progress.done ? 'true' : 'false'}>
          <progress
            class="sync-progress__bar"
            max={1000}
            value={Math.round(syncFraction(progress) * 1000)}
            aria-label={t('sync.progress', { sent: progress.sent, total: progress.total })}
          />
          <p role="status" class={progress.error ? 'form-error' : undefined}>
            {!progress.done
              ? t('sync.progress', { sent: progress.sent, total: progress.total })
              : progress.error
                ? t('syncPanel.failed', { error: progress.error })
                : t('syncPanel.done', { sent: progress.sent })}
          </p>
        </div>
      )}
      {run.kind === 'refused' && (
        <p class="form-error" role="alert">
          {t('syncPanel.failed', { error: run.message })}
        </p>
      )}
    </div>
  );
}
