import { describe, expect, test } from 'vitest';
import { translator } from '../i18n/dictionary.ts';
import { describeSource, logLevel, logLevelLabel, sourceOf, syncFraction } from './overview.ts';

const en = translator('en');
const zh = translator('zh-CN');

describe('where an offline limit came from', () => {
  test('is found by the limit’s name or by its setting’s path', () => {
    expect(sourceOf('perPayment', { perPayment: 'default' })).toBe('default');
    expect(sourceOf('perPayment', { 'offlinePolicy.perPaymentMax': 'file' })).toBe('file');
    expect(sourceOf('maxHoursSinceSync', { maxHoursSinceSync: 'SUANPAN_X' })).toBe('SUANPAN_X');
    expect(sourceOf('totalStored', { totalStoredMax: 'default' })).toBe('default');
    expect(sourceOf('maxStoredCount', {})).toBeUndefined();
  });

  test('is said in words: the default, the settings file, a variable; else as written', () => {
    expect(describeSource('default', en)).toBe('Default');
    expect(describeSource('default', zh)).toBe('默认值');
    expect(describeSource('file', en)).toBe('Settings file suanpan.json');
    expect(describeSource('file: /var/lib/suanpan/suanpan.json', en)).toBe(
      'Settings file /var/lib/suanpan/suanpan.json',
    );
    expect(describeSource('/var/lib/suanpan/suanpan.json', zh)).toBe(
      '设置文件 /var/lib/suanpan/suanpan.json',
    );
    expect(describeSource('env SUANPAN_OFFLINE_POLICY_PER_PAYMENT_MAX', en)).toBe(
      'Environment variable SUANPAN_OFFLINE_POLICY_PER_PAYMENT_MAX',
    );
    expect(describeSource('SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT', zh)).toBe(
      '环境变量 SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT',
    );
    expect(describeSource('the merchant’s console', en)).toBe('the merchant’s console');
    expect(describeSource(undefined, en)).toBe('Not stated');
    expect(describeSource(' ', en)).toBe('Not stated');
  });
});

describe('log levels', () => {
  test('from pino’s numbers or names', () => {
    expect(logLevel('30')).toBe('info');
    expect(logLevel('50')).toBe('error');
    expect(logLevel('WARN')).toBe('warn');
    expect(logLevel('warning')).toBe('warn');
    expect(logLevel('fatal')).toBe('fatal');
    expect(logLevel('35')).toBeNull();
    expect(logLevelLabel('40', zh)).toBe('警告');
    expect(logLevelLabel('notice', en)).toBe('notice');
  });
});

describe('sync progress', () => {
  test('is the share sent, within 0 and 1; an empty sync is complete when done', () => {
    expect(syncFraction({ sent: 3, total: 12, done: false })).toBe(0.25);
    expect(syncFraction({ sent: 13, total: 12, done: false })).toBe(1);
    expect(syncFraction({ sent: 0, total: 0, done: false })).toBe(0);
    expect(syncFraction({ sent: 0, total: 0, done: true })).toBe(1);
  });
});
