import { describe, expect, test } from 'vitest';
import { translator } from '../i18n/dictionary.ts';
import { shiftReport } from '../testing/builders.ts';
import { formatTotals, shiftPeriod, shiftReportView } from './shift-report.ts';

const zh = translator('zh-CN');
const en = translator('en');

describe('the shift report', () => {
  const report = shiftReport([
    ['declined', 'alipay', 'CNY', 1, 500],
    ['accepted_offline', 'alipay', 'CNY', 2, 2130],
    ['approved', 'wechat', 'CNY', 3, 10000],
    ['settled', 'alipay', 'CNY', 1, 1250],
    ['voided', 'wechat', 'CNY', 1, 880],
    ['declined_after_sync', 'demo', 'CNY', 1, 300],
  ]);

  test('lists states with money taken first, in the cashier’s words, with counts and totals', () => {
    const view = shiftReportView(report, { t: zh, currency: 'CNY' });
    expect(view.byStatus.map((l) => [l.key, l.label, l.count, l.totals])).toEqual([
      ['approved', '已收款', 3, '¥100.00'],
      ['settled', '已结算', 1, '¥12.50'],
      ['accepted_offline', '离线已收，待上传', 2, '¥21.30'],
      ['declined', '已拒绝', 1, '¥5.00'],
      ['declined_after_sync', '同步后被拒，未收到款', 1, '¥3.00'],
      ['voided', '已撤销', 1, '¥8.80'],
    ]);
    expect(view.payments).toBe(9);
  });

  test('adds up the money taken: approved, accepted offline and settled; not declined or voided', () => {
    const view = shiftReportView(report, { t: zh, currency: 'CNY' });
    // 100.00 + 21.30 + 12.50
    expect(view.taken).toBe('¥133.80');
    expect(view.lost).toBe(1);
  });

  test('lists schemes busiest first, named in the cashier’s language', () => {
    expect(
      shiftReportView(report, { t: en, currency: 'CNY' }).byScheme.map((l) => [l.label, l.count, l.totals]),
    ).toEqual([
      ['Alipay', 4, '¥38.80'],
      ['WeChat Pay', 4, '¥108.80'],
      ['Demo wallet', 1, '¥3.00'],
    ]);
  });

  test('lists earlier payments changed this shift apart (a refund paid from this till); not in the money taken', () => {
    const withEarlier = {
      ...report,
      earlier: {
        refunded: { count: 1, totals: { CNY: 3000 } },
        approved: { count: 2, totals: { CNY: 666 } },
      },
    };
    const view = shiftReportView(withEarlier, { t: en, currency: 'CNY' });
    expect(view.earlier.map((l) => [l.label, l.count, l.totals])).toEqual([
      ['Approved', 2, '¥6.66'],
      ['Refunded', 1, '¥30.00'],
    ]);
    expect(view.taken).toBe('¥133.80');
    expect(shiftReportView(report, { t: en, currency: 'CNY' }).earlier).toEqual([]);
  });

  test('keeps a status or scheme it does not know, under the host’s own name, last', () => {
    const view = shiftReportView(
      shiftReport([
        ['paused', 'mpesa', 'CNY', 1, 100],
        ['approved', 'alipay', 'CNY', 1, 100],
      ]),
      { t: en, currency: 'CNY' },
    );
    expect(view.byStatus.map((l) => l.label)).toEqual(['Approved', 'paused']);
    expect(view.byScheme.map((l) => l.label)).toEqual(['Alipay', 'mpesa']);
  });

  test('totals in several currencies, in a fixed order; none is zero in the terminal currency', () => {
    expect(formatTotals({ USD: 300, CNY: 1250 }, 'CNY')).toBe('¥12.50 + $3.00');
    expect(formatTotals({}, 'CNY')).toBe('¥0.00');
    const empty = shiftReportView(shiftReport([]), { t: zh, currency: 'CNY' });
    expect(empty).toMatchObject({ payments: 0, byStatus: [], byScheme: [], taken: '¥0.00', lost: 0 });
  });

  test('says the period, or that it is the first shift', () => {
    const view = shiftReportView(report, { t: en, currency: 'CNY' });
    expect(shiftPeriod(view, 'en', en)).toMatch(/^.+ to .+$/);
    expect(shiftPeriod({ ...view, openedAt: null }, 'en', en)).toMatch(/^First shift, to /);
    expect(shiftPeriod({ ...view, openedAt: null }, 'zh-CN', zh)).toMatch(/^首个班次，至 /);
  });
});
