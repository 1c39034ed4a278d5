import { describe, expect, test } from 'vitest';
import { LANGUAGES, MESSAGES, type MessageKey, translate, translator } from './dictionary.ts';

const keys = Object.keys(MESSAGES) as MessageKey[];
/** Parameters for any entry: every field reads as "1" (a count, an amount, a time: all print). */
const anyParams = new Proxy({}, { get: () => '1' });
const han = /\p{Script=Han}/u;

function render(language: (typeof LANGUAGES)[number], key: MessageKey): string {
  const text: unknown = MESSAGES[key][language];
  return typeof text === 'function' ? (text as (p: unknown) => string)(anyParams) : (text as string);
}

describe('the dictionary', () => {
  test('has every key in both languages, as text or as a function of the same parameters', () => {
    expect(keys.length).toBeGreaterThan(50);
    for (const key of keys) {
      const entry = MESSAGES[key] as Record<string, unknown>;
      expect(Object.keys(entry).sort(), key).toEqual([...LANGUAGES].sort());
      const kinds = LANGUAGES.map((language) => typeof entry[language]);
      expect(new Set(kinds).size, `${key}: ${kinds.join(' vs ')}`).toBe(1);
      for (const language of LANGUAGES) {
        const fn = entry[language];
        if (typeof fn === 'function') expect(fn.length, `${key} ${language} parameters`).toBe(1);
        expect(render(language, key).trim(), `${key} in ${language}`).not.toBe('');
      }
    }
  });

  test('the Chinese texts are written in Chinese, the English ones are not', () => {
    for (const key of keys) {
      expect(render('zh-CN', key), key).toMatch(han);
      const english = render('en', key);
      // Only the language switch names 中文 in its English text.
      if (key !== 'language.switch') expect(english, key).not.toMatch(han);
    }
  });

  test('the two languages never share a text (a sign of an untranslated copy)', () => {
    for (const key of keys) expect(render('en', key), key).not.toBe(render('zh-CN', key));
  });

  test('fills parameters in and counts in English', () => {
    const t = translator('en');
    expect(t('offline.stored.value', { count: 1, amount: '¥12.50' })).toBe('1 payment · ¥12.50');
    expect(t('offline.stored.value', { count: 2, amount: '¥25.00' })).toBe('2 payments · ¥25.00');
    expect(translate('zh-CN', 'offline.stored.value', { count: 1, amount: '¥12.50' })).toBe('1 笔 · ¥12.50');
    expect(translate('zh-CN', 'limit.perPayment', { max: '¥200.00', over: '¥0.01' })).toBe(
      '超过离线单笔限额 ¥200.00，多了 ¥0.01',
    );
    expect(translate('en', 'keypad.charge')).toBe('Charge');
  });
});
