/** The cashier's language, for every component below the app. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { DEFAULT_LANGUAGE, type Language, type Translate, translator } from './dictionary.ts';

export interface I18n {
  language: Language;
  t: Translate;
}

export const I18nContext = createContext<I18n>({
  language: DEFAULT_LANGUAGE,
  t: translator(DEFAULT_LANGUAGE),
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** "14:05": a time of day in the cashier's language. */
export function formatTime(iso: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** "14:05:09": a time of day to the second (scans, log lines). */
export function formatClock(iso: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleTimeString(language, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/** "6/3 14:05": a moment in the next days, short enough for a banner cell. */
export function formatDateTime(iso: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(language, {
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}
