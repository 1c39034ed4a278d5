/** Says so, plainly, when the page has lost its link to the terminal host and is reconnecting. */
import type { StreamState } from '../api/events.ts';
import { useI18n } from '../i18n/context.ts';

export function ConnectionBanner({ stream }: { stream: StreamState }) {
  const { t } = useI18n();
  if (stream === 'open') return null;
  if (stream === 'connecting') {
    return (
      <div class="connection-banner connection-banner--connecting" role="status">
        <span class="busy-dot" aria-hidden="true" />
        {t('host.connecting')}
      </div>
    );
  }
  return (
    <div class="connection-banner" role="alert">
      <span class="busy-dot" aria-hidden="true" />
      <strong>{t('host.lost.title')}</strong> <span>{t('host.lost.detail')}</span>
    </div>
  );
}
