/**
 * Every way printing can fail, classified in one place, each with a message a cashier can act on.
 * Nothing here touches a payment: a receipt that can't print waits in the print queue.
 */
export type PrinterErrorCode =
  | 'PAPER_OUT'
  | 'COVER_OPEN'
  /** The printer is offline, unplugged or unreachable. */
  | 'OFFLINE'
  /** The printer did not answer in time (many cheap printers go silent when out of paper). */
  | 'TIMEOUT'
  /** It answered with bytes that are not a status: wrong port, wrong device, or a fault. */
  | 'GARBLED'
  /** Cutter jam or another error the printer reports. */
  | 'PRINTER_ERROR'
  /** The receipt has text that can't be printed (a broken character, an absurdly long line). */
  | 'UNPRINTABLE'
  /** Chinese text needs a picture on this printer, and no CJK font is installed here. */
  | 'FONT_MISSING'
  /** The printer address is wrong or its kind of connection can't work here. */
  | 'BAD_ADDRESS'
  | 'UNAVAILABLE';

const CASHIER_TEXT: Record<PrinterErrorCode, { en: string; zh: string }> = {
  PAPER_OUT: {
    en: 'The printer is out of paper. Load a new roll; the receipt is kept in the print queue.',
    zh: '打印机缺纸。请装入新纸卷，小票已保留在打印队列中。',
  },
  COVER_OPEN: {
    en: 'The printer cover is open. Close it; the receipt is kept in the print queue.',
    zh: '打印机盖未关。请关好，小票已保留在打印队列中。',
  },
  OFFLINE: {
    en: 'The printer is not connected. Check its power and cable; the receipt is kept in the print queue.',
    zh: '打印机未连接。请检查电源和连接线，小票已保留在打印队列中。',
  },
  TIMEOUT: {
    en: 'The printer does not answer. Check paper and power; the receipt is kept in the print queue.',
    zh: '打印机无响应。请检查纸张和电源，小票已保留在打印队列中。',
  },
  GARBLED: {
    en: 'The printer answers strangely. Check the printer setting; the receipt is kept.',
    zh: '打印机响应异常。请检查打印机设置，小票已保留。',
  },
  PRINTER_ERROR: {
    en: 'The printer reports an error (cutter?). Clear it and press its feed button.',
    zh: '打印机报错（切刀？）。请排除后按走纸键。',
  },
  UNPRINTABLE: {
    en: 'This receipt has text the printer cannot print. It is kept; tell support.',
    zh: '小票含无法打印的字符，已保留，请联系技术支持。',
  },
  FONT_MISSING: {
    en: 'Chinese text cannot be drawn: no Chinese font is installed. Tell support.',
    zh: '无法绘制中文：未安装中文字体，请联系技术支持。',
  },
  BAD_ADDRESS: {
    en: 'The printer setting is wrong. Ask a technician.',
    zh: '打印机设置有误，请联系技术人员。',
  },
  UNAVAILABLE: {
    en: 'This kind of printer connection cannot work on this terminal. Ask a technician.',
    zh: '此终端不支持该打印机连接方式，请联系技术人员。',
  },
};

/** Worth trying again once the cashier acts or the printer comes back. */
export const RETRYABLE: ReadonlySet<PrinterErrorCode> = new Set([
  'PAPER_OUT',
  'COVER_OPEN',
  'OFFLINE',
  'TIMEOUT',
  'GARBLED',
  'PRINTER_ERROR',
]);

export class PrinterError extends Error {
  constructor(
    readonly code: PrinterErrorCode,
    /** Technical detail, for logs and technicians. */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PrinterError';
  }

  /** What to tell the cashier, in the UI language. */
  cashierMessage(locale: 'zh-CN' | 'en' = 'zh-CN'): string {
    return locale === 'en' ? CASHIER_TEXT[this.code].en : CASHIER_TEXT[this.code].zh;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}
