import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrinterError } from '../../drivers/printer/errors.ts';
import { encodeDocument } from '../../drivers/printer/escpos/encoder.ts';
import { interpretStatus } from '../../drivers/printer/escpos/status.ts';
import { PROFILES } from '../../drivers/printer/profiles.ts';
import type { PaymentRecord, ShiftReport } from '../../sync/journal/journal.ts';
import { EscPosDecoder } from '../../test-hardware/printer-sim/escpos-decoder.ts';
import { paymentReceipt, type ReceiptContext, shiftReport, testPage } from './receipts.ts';

const ZH: ReceiptContext = {
  merchantName: '张记小吃店',
  terminalId: 'sp-00112233445566ff',
  locale: 'zh-CN',
  timeZone: 'Asia/Shanghai',
};
const EN: ReceiptContext = { ...ZH, merchantName: "Zhang's Snacks", locale: 'en' };
const PAYMENT = {
  paymentId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  seq: 42,
  amount: { minor: 12_345, currency: 'CNY' },
  scheme: 'wechat',
  codeMasked: '13************3457',
  status: 'accepted_offline',
  mode: 'offline',
  reason: null,
  capturedAt: '2026-11-25T08:30:00.000Z',
  updatedAt: '2026-11-25T08:30:00.000Z',
} as unknown as PaymentRecord;

/** The receipt as the printer simulator reads the bytes: text lines and QR payloads. */
async function printed(doc: Parameters<typeof encodeDocument>[0], profile = 'epson-80') {
  const decoder = new EscPosDecoder();
  decoder.push(await encodeDocument(doc, PROFILES[profile] as never));
  const receipt = decoder.receipts[0] ?? decoder.pending;
  return { lines: receipt.lines.map((l) => l.text.trim()), qrs: receipt.qrs.map((q) => q.data), receipt };
}

describe('receipts', () => {
  it('payment receipt in Chinese: merchant, terminal, local time, large amount, scheme, status, offline line, short id, QR', async () => {
    const { lines, qrs, receipt } = await printed(paymentReceipt(PAYMENT, ZH));
    expect(lines[0]).toBe('张记小吃店');
    expect(lines).toContain('收款小票');
    expect(lines.some((l) => l.startsWith('终端') && l.endsWith('sp-00112233445566ff'))).toBe(true);
    expect(lines.some((l) => l.startsWith('时间') && l.endsWith('2026-11-25 16:30:00'))).toBe(true);
    expect(lines.some((l) => l.startsWith('支付方式') && l.endsWith('微信支付'))).toBe(true);
    expect(receipt.lines.find((l) => l.text.trim() === '￥123.45')).toMatchObject({ width: 2, height: 2 });
    expect(lines).toContain('离线受理');
    expect(lines).toContain('离线交易，待确认');
    expect(lines.some((l) => l.startsWith('交易号') && l.endsWith('0193a1b2…4a5b'))).toBe(true);
    expect(qrs).toEqual([PAYMENT.paymentId]);
    expect(receipt.cut).toBeDefined();
  });

  it('in English by config; an approved payment has no offline line; a reprint says so', async () => {
    const approved = { ...PAYMENT, status: 'approved', mode: 'online' } as PaymentRecord;
    const { lines } = await printed(paymentReceipt(approved, EN, { reprint: true }));
    expect(lines[0]).toBe('*** REPRINT ***');
    expect(lines).toContain('Approved');
    expect(lines.some((l) => l.startsWith('Paid with') && l.endsWith('WeChat Pay'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/Offline payment|离线/);
    const offline = await printed(paymentReceipt(PAYMENT, EN));
    expect(offline.lines).toContain('Offline payment, to be confirmed');
  });

  it('fits 58 mm paper: no line wider than 32 columns', async () => {
    const { receipt } = await printed(paymentReceipt(PAYMENT, ZH), 'epson-58');
    for (const l of receipt.lines)
      expect(l.text.replace(/[^\x20-\x7e]/g, 'xx').length * l.width).toBeLessThanOrEqual(32);
  });

  it('technician test page: profile, status bits, characters, Chinese sample and a QR', async () => {
    const status = interpretStatus({ 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1e });
    const { lines, qrs } = await printed(
      testPage(
        { ...ZH, now: new Date('2026-11-25T08:00:00Z'), printer: 'tcp://10.0.0.9:9100' },
        PROFILES['epson-80'] as never,
        status,
      ),
    );
    const all = lines.join('\n');
    expect(all).toContain('epson-80');
    expect(all).toContain('paper=near end');
    expect(all).toContain('DLE EOT 4 = 0x1e');
    expect(all).toContain('!"#$%&');
    expect(all).toContain('中文测试：算盘收款终端');
    expect(qrs).toEqual(['SUANPAN-TEST sp-00112233445566ff']);
  });

  it('shift report: counts and totals by status and scheme; the total counts money taken only', async () => {
    const report: ShiftReport = {
      shiftNo: 3,
      entrySeq: 99,
      openedAt: '2026-11-25T00:00:00.000Z',
      closedAt: '2026-11-25T10:00:00.000Z',
      payments: 4,
      byStatus: {
        approved: { count: 2, totals: { CNY: 3_000 } },
        accepted_offline: { count: 1, totals: { CNY: 500 } },
        declined: { count: 1, totals: { CNY: 9_900 } },
      },
      byScheme: { alipay: { count: 3, totals: { CNY: 12_900 } }, wechat: { count: 1, totals: { CNY: 500 } } },
      earlier: {},
    };
    const { lines } = await printed(shiftReport(report, ZH));
    const line = (start: string) => lines.find((l) => l.startsWith(start));
    expect(line('交易成功 ×2')).toMatch(/￥30\.00$/);
    expect(line('交易失败 ×1')).toMatch(/￥99\.00$/);
    expect(line('支付宝 ×3')).toMatch(/￥129\.00$/);
    expect(line('收款合计')).toMatch(/￥35\.00$/);
    expect(lines).not.toContain('以前班次交易，本班变更');
    // A refund of an earlier shift's payment, paid out of this till: listed apart, not in the total.
    const withRefund = await printed(
      shiftReport({ ...report, earlier: { refunded: { count: 1, totals: { CNY: 3_000 } } } }, ZH),
    );
    const after = withRefund.lines.slice(withRefund.lines.indexOf('以前班次交易，本班变更'));
    expect(after[1]).toMatch(/^已退款 ×1.*￥30\.00$/);
    expect(withRefund.lines.find((l) => l.startsWith('收款合计'))).toMatch(/￥35\.00$/);
  });

  it('any merchant name either prints or is refused with a typed error, never garbage commands', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (name) => {
        try {
          const { lines } = await printed(paymentReceipt(PAYMENT, { ...ZH, merchantName: name }));
          expect(lines).toContain('收款小票');
        } catch (err) {
          expect(err).toBeInstanceOf(PrinterError);
          expect((err as PrinterError).code).toBe('UNPRINTABLE');
        }
      }),
      { numRuns: 60 },
    );
  });
});
