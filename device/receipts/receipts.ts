/**
 * What the terminal prints: the payment receipt, the technician's test page and the shift report,
 * as print documents (drivers/printer/document.ts), in Simplified Chinese by default or English.
 * Layout only: no bytes, no printer.
 */
import type { PrintDocument } from '../../drivers/printer/document.ts';
import type { PrinterStatus } from '../../drivers/printer/escpos/status.ts';
import type { PrinterProfile } from '../../drivers/printer/profiles.ts';
import {
  MONEY_TAKEN,
  type PaymentRecord,
  type PaymentStatus,
  type ShiftReport,
} from '../../sync/journal/journal.ts';
import { formatMoney } from '../../sync/protocol/money.ts';

export type Locale = 'zh-CN' | 'en';

export interface ReceiptContext {
  merchantName: string;
  terminalId: string;
  locale: Locale;
  /** Time zone for printed times (default: the host's). */
  timeZone?: string;
}

const TEXT = {
  'zh-CN': {
    receipt: '收款小票',
    terminal: '终端',
    time: '时间',
    amount: '金额',
    scheme: '支付方式',
    code: '付款码',
    status: '状态',
    seq: '流水号',
    payment: '交易号',
    offline: '离线交易，待确认',
    thanks: '谢谢惠顾',
    reprint: '*** 重印 ***',
    testPage: '打印测试页',
    profile: '打印机型号',
    columns: '每行字数',
    width: '打印宽度',
    cjk: '中文字库',
    qr: '原生二维码',
    cutter: '切刀',
    yes: '有',
    no: '无',
    statusBits: '状态',
    codePage: '字符测试',
    cjkSample: '中文测试：算盘收款终端，离线可收款。￥1234.56',
    shift: '交班报表',
    shiftNo: '班次',
    opened: '开始',
    closed: '结束',
    payments: '笔数',
    byStatus: '按状态',
    byScheme: '按支付方式收款',
    earlier: '以前班次交易，本班变更',
    total: '收款合计',
  },
  en: {
    receipt: 'RECEIPT',
    terminal: 'Terminal',
    time: 'Time',
    amount: 'Amount',
    scheme: 'Paid with',
    code: 'Code',
    status: 'Status',
    seq: 'Seq',
    payment: 'Payment',
    offline: 'Offline payment, to be confirmed',
    thanks: 'Thank you',
    reprint: '*** REPRINT ***',
    testPage: 'PRINTER TEST PAGE',
    profile: 'Profile',
    columns: 'Columns',
    width: 'Width',
    cjk: 'Chinese font',
    qr: 'Native QR',
    cutter: 'Cutter',
    yes: 'yes',
    no: 'no',
    statusBits: 'Status',
    codePage: 'Characters',
    cjkSample: '中文测试：算盘收款终端，离线可收款。￥1234.56',
    shift: 'SHIFT REPORT',
    shiftNo: 'Shift',
    opened: 'Opened',
    closed: 'Closed',
    payments: 'Payments',
    byStatus: 'By status',
    byScheme: 'Taken, by scheme',
    earlier: 'Earlier payments, changed this shift',
    total: 'Total taken',
  },
} as const;

const SCHEMES: Record<Locale, Record<string, string>> = {
  'zh-CN': { alipay: '支付宝', wechat: '微信支付', unionpay: '银联', demo: '演示钱包' },
  en: { alipay: 'Alipay', wechat: 'WeChat Pay', unionpay: 'UnionPay', demo: 'Demo wallet' },
};

const STATUS: Record<Locale, Record<PaymentStatus, string>> = {
  'zh-CN': {
    captured: '处理中',
    approved: '交易成功',
    accepted_offline: '离线受理',
    declined: '交易失败',
    unknown: '结果待查',
    settled: '已结算',
    declined_after_sync: '同步后拒绝',
    voided: '已撤销',
    refunded: '已退款',
  },
  en: {
    captured: 'In progress',
    approved: 'Approved',
    accepted_offline: 'Accepted offline',
    declined: 'Declined',
    unknown: 'Being checked',
    settled: 'Settled',
    declined_after_sync: 'Declined after sync',
    voided: 'Voided',
    refunded: 'Refunded',
  },
};

export function schemeName(scheme: string, locale: Locale): string {
  return SCHEMES[locale][scheme] ?? scheme;
}

export function statusName(status: PaymentStatus, locale: Locale): string {
  return STATUS[locale][status];
}

function when(iso: string, ctx: ReceiptContext): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: ctx.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

export function paymentReceipt(
  payment: PaymentRecord,
  ctx: ReceiptContext,
  options: { reprint?: boolean } = {},
): PrintDocument {
  const t = TEXT[ctx.locale];
  return {
    cut: true,
    blocks: [
      ...(options.reprint
        ? [{ kind: 'text' as const, text: t.reprint, align: 'center' as const, bold: true }]
        : []),
      { kind: 'text', text: ctx.merchantName, align: 'center', bold: true, size: 2 },
      { kind: 'text', text: t.receipt, align: 'center' },
      { kind: 'rule' },
      { kind: 'pair', left: t.terminal, right: ctx.terminalId },
      { kind: 'pair', left: t.time, right: when(payment.capturedAt, ctx) },
      { kind: 'pair', left: t.scheme, right: schemeName(payment.scheme, ctx.locale) },
      { kind: 'pair', left: t.code, right: payment.codeMasked },
      { kind: 'pair', left: t.seq, right: String(payment.seq) },
      { kind: 'rule' },
      { kind: 'text', text: t.amount, align: 'center' },
      { kind: 'text', text: formatMoney(payment.amount), align: 'center', bold: true, size: 2 },
      { kind: 'text', text: statusName(payment.status, ctx.locale), align: 'center', bold: true },
      ...(payment.status === 'accepted_offline'
        ? [{ kind: 'text' as const, text: t.offline, align: 'center' as const }]
        : []),
      { kind: 'rule' },
      {
        kind: 'pair',
        left: t.payment,
        right: `${payment.paymentId.slice(0, 8)}…${payment.paymentId.slice(-4)}`,
      },
      { kind: 'qr', data: payment.paymentId, align: 'center' },
      { kind: 'text', text: t.thanks, align: 'center' },
    ],
  };
}

export function testPage(
  ctx: ReceiptContext & { now: Date; printer: string },
  profile: PrinterProfile,
  status: PrinterStatus,
): PrintDocument {
  const t = TEXT[ctx.locale];
  const yn = (b: boolean) => (b ? t.yes : t.no);
  const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
  const bits = Object.entries(status.raw)
    .map(
      ([n, b]) => `${/^\d$/.test(n) ? `DLE EOT ${n}` : n} = 0x${(b as number).toString(16).padStart(2, '0')}`,
    )
    .join(', ');
  return {
    cut: true,
    blocks: [
      { kind: 'text', text: t.testPage, align: 'center', bold: true, size: 2 },
      { kind: 'text', text: ctx.merchantName, align: 'center' },
      { kind: 'rule' },
      { kind: 'pair', left: t.terminal, right: ctx.terminalId },
      { kind: 'pair', left: t.time, right: when(ctx.now.toISOString(), ctx) },
      { kind: 'text', text: ctx.printer },
      { kind: 'pair', left: t.profile, right: profile.id },
      { kind: 'pair', left: t.columns, right: String(profile.columns) },
      { kind: 'pair', left: t.width, right: `${profile.widthDots} dots` },
      { kind: 'pair', left: t.cjk, right: yn(profile.cjkFont) },
      { kind: 'pair', left: t.qr, right: yn(profile.nativeQr) },
      { kind: 'pair', left: t.cutter, right: yn(profile.cutter) },
      { kind: 'rule' },
      { kind: 'text', text: t.statusBits, bold: true },
      {
        kind: 'text',
        text: `online=${yn(status.online)} cover=${status.coverOpen ? 'open' : 'closed'} paper=${status.paperOut ? 'OUT' : status.paperNearEnd ? 'near end' : 'ok'} drawer=${status.drawerOpen ? 'open' : 'closed'} error=${yn(status.error)}`,
      },
      { kind: 'text', text: bits },
      { kind: 'rule' },
      { kind: 'text', text: t.codePage, bold: true },
      { kind: 'text', text: ascii },
      { kind: 'text', text: t.cjkSample },
      { kind: 'text', text: 'Size 2', size: 2 },
      { kind: 'qr', data: `SUANPAN-TEST ${ctx.terminalId}`, align: 'center' },
    ],
  };
}

export function shiftReport(report: ShiftReport, ctx: ReceiptContext): PrintDocument {
  const t = TEXT[ctx.locale];
  const totals = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([currency, minor]) => formatMoney({ minor, currency }))
      .join(' + ') || formatMoney({ minor: 0, currency: 'CNY' });
  const group = (g: ShiftReport['byStatus'], name: (k: string) => string) =>
    Object.entries(g).map(([k, v]) => ({
      kind: 'pair' as const,
      left: `${name(k)} ×${v.count}`,
      right: totals(v.totals),
    }));
  // Money taken: approved online, accepted offline (to be confirmed), settled. Not declined ones.
  const all: Record<string, number> = {};
  for (const [status, v] of Object.entries(report.byStatus)) {
    if (!MONEY_TAKEN.has(status as PaymentStatus)) continue;
    for (const [c, m] of Object.entries(v.totals)) all[c] = (all[c] ?? 0) + m;
  }
  return {
    cut: true,
    blocks: [
      { kind: 'text', text: t.shift, align: 'center', bold: true, size: 2 },
      { kind: 'text', text: ctx.merchantName, align: 'center' },
      { kind: 'rule' },
      { kind: 'pair', left: t.terminal, right: ctx.terminalId },
      { kind: 'pair', left: t.shiftNo, right: String(report.shiftNo) },
      { kind: 'pair', left: t.opened, right: report.openedAt ? when(report.openedAt, ctx) : '-' },
      { kind: 'pair', left: t.closed, right: when(report.closedAt, ctx) },
      { kind: 'pair', left: t.payments, right: String(report.payments) },
      { kind: 'rule' },
      { kind: 'text', text: t.byStatus, bold: true },
      ...group(report.byStatus, (k) => statusName(k as PaymentStatus, ctx.locale)),
      { kind: 'rule' },
      { kind: 'text', text: t.byScheme, bold: true },
      ...group(report.byScheme, (k) => schemeName(k, ctx.locale)),
      { kind: 'rule' },
      { kind: 'pair', left: t.total, right: totals(all), bold: true },
      // Refunds and voids of earlier payments (paid out of this till), doubts resolved: apart from
      // this shift's total, which counts the payments taken in it.
      ...(Object.keys(report.earlier ?? {}).length > 0
        ? [
            { kind: 'rule' as const },
            { kind: 'text' as const, text: t.earlier, bold: true },
            ...group(report.earlier, (k) => statusName(k as PaymentStatus, ctx.locale)),
          ]
        : []),
    ],
  };
}
