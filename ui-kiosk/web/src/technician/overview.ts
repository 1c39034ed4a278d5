/**
 * The technician overview (`GET /api/technician/overview`) in words: where each offline limit's
 * value came from, a log line's level, how far a sync has got. Pure, so each rule is tested alone.
 */
import type { SyncProgress, TechnicianOverview } from '../api/contract.ts';
import type { Translate } from '../i18n/dictionary.ts';

export type PolicyLimit = keyof Omit<TechnicianOverview['policy'], 'sources'>;

export const POLICY_LIMITS: readonly PolicyLimit[] = [
  'perPayment',
  'totalStored',
  'maxStoredCount',
  'maxHoursSinceSync',
];

/**
 * The settings each limit is read from (device/config/settings.ts, offlinePolicy.*): the host may
 * key a source by the limit's name or by its setting's path, so both are looked for.
 */
const SETTING_OF: Readonly<Record<PolicyLimit, string>> = {
  perPayment: 'offlinePolicy.perPaymentMax',
  totalStored: 'offlinePolicy.totalStoredMax',
  maxStoredCount: 'offlinePolicy.maxStoredCount',
  maxHoursSinceSync: 'offlinePolicy.maxHoursSinceSync',
};

/** Where `limit`'s value came from, as the host wrote it; undefined when it does not say. */
export function sourceOf(limit: PolicyLimit, sources: Record<string, string>): string | undefined {
  const setting = SETTING_OF[limit];
  return sources[limit] ?? sources[setting] ?? sources[setting.slice(setting.indexOf('.') + 1)];
}

/**
 * A source in the technician's language. The settings loader knows three (load-settings.ts
 * SettingSource): the default in the code, the settings file, a `SUANPAN_*` variable; a text in
 * another form is shown as the host wrote it.
 */
export function describeSource(source: string | undefined, t: Translate): string {
  if (source === undefined || source.trim() === '') return t('source.unknown');
  const text = source.trim();
  if (/^default$/i.test(text)) return t('source.default');
  const variable = /\bSUANPAN_[A-Z0-9_]+/.exec(text)?.[0];
  if (variable) return t('source.env', { variable });
  const file = /^file(?:[:\s]+(.+))?$/i.exec(text);
  if (file) return t('source.file', { file: file[1]?.trim() || 'suanpan.json' });
  if (/\.json$/i.test(text)) return t('source.file', { file: text });
  return text;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** pino's numbers (10 trace … 60 fatal), as the log file holds them. */
const PINO_LEVELS: Readonly<Record<string, LogLevel>> = {
  '10': 'trace',
  '20': 'debug',
  '30': 'info',
  '40': 'warn',
  '50': 'error',
  '60': 'fatal',
};

/** A log line's level, from pino's number or its name; null for anything else. */
export function logLevel(level: string): LogLevel | null {
  const name = level.trim().toLowerCase();
  if (name in PINO_LEVELS) return PINO_LEVELS[name] ?? null;
  if (name === 'warning') return 'warn';
  return (Object.values(PINO_LEVELS) as string[]).includes(name) ? (name as LogLevel) : null;
}

export function logLevelLabel(level: string, t: Translate): string {
  const known = logLevel(level);
  return known ? t(`level.${known}`) : level;
}

/** How far a sync is, 0 to 1 (a sync with nothing to send is complete). */
export function syncFraction(progress: SyncProgress): number {
  if (progress.total <= 0) return progress.done ? 1 : 0;
  return Math.min(1, Math.max(0, progress.sent / progress.total));
}
