/**
 * The host's own errors, classified in one place: what refuses to start the host (`HostError`), and
 * what an API answer refuses (`ApiProblem`: HTTP status, code, and a message for the cashier in the
 * terminal's language). Errors of other layers keep their own messages (see server.ts).
 */
export type Locale = 'zh-CN' | 'en';

export type HostErrorCode =
  /** Asked to listen on an address other than 127.0.0.1. */
  | 'NOT_LOOPBACK'
  | 'BAD_PORT'
  /** Another process (another host?) listens on the port. */
  | 'PORT_IN_USE';

export class HostError extends Error {
  constructor(
    readonly code: HostErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostError';
  }
}

export type ApiProblemCode =
  /** No token, or not this boot's token. */
  | 'UNAUTHENTICATED'
  /** The request came from a page of another origin. */
  | 'FORBIDDEN_ORIGIN'
  /** The Host header is not 127.0.0.1:PORT (DNS rebinding, or a proxy in between). */
  | 'WRONG_HOST'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  /** A payment is waiting for its code or being taken: finish or cancel it first. */
  | 'BUSY'
  /** No payment is waiting for a code. */
  | 'NO_CHECKOUT'
  /** The payment is being taken: too late to cancel. */
  | 'CHECKOUT_WORKING'
  /** What was entered as a payment code is not one. */
  | 'NOT_A_PAYMENT_CODE'
  | 'INTERNAL';

const TEXT: Record<ApiProblemCode, { en: string; zh: string }> = {
  UNAUTHENTICATED: {
    en: 'This screen is not connected to the terminal with its key. Reopen the kiosk (the link printed by `suanpan start` carries the key).',
    zh: '此页面未使用终端密钥连接。请重新打开收银界面（`suanpan start` 打印的链接中带有密钥）。',
  },
  FORBIDDEN_ORIGIN: {
    en: 'Refused: this request comes from another web page. Only the kiosk screens may use the terminal.',
    zh: '已拒绝：此请求来自其他网页，只有收银界面可以使用终端。',
  },
  WRONG_HOST: {
    en: 'Refused: open the kiosk at its own address, http://127.0.0.1 and its port.',
    zh: '已拒绝：请通过本机地址 http://127.0.0.1 及其端口打开收银界面。',
  },
  BAD_REQUEST: {
    en: 'The request is not valid.',
    zh: '请求无效。',
  },
  NOT_FOUND: {
    en: 'No such page or function on this terminal.',
    zh: '终端上没有此页面或功能。',
  },
  BUSY: {
    en: 'A payment is already in progress. Finish or cancel it first.',
    zh: '已有一笔收款正在进行，请先完成或取消。',
  },
  NO_CHECKOUT: {
    en: 'No payment is waiting for a payment code. Enter the amount first.',
    zh: '当前没有等待付款码的收款，请先输入金额。',
  },
  CHECKOUT_WORKING: {
    en: 'The payment is being taken and can no longer be cancelled. Wait for its result.',
    zh: '收款正在处理中，已无法取消，请等待结果。',
  },
  NOT_A_PAYMENT_CODE: {
    en: "This is not a payment code. Scan or type the code shown in the customer's wallet app (付款码).",
    zh: '这不是付款码。请扫描或输入顾客钱包应用中的付款码。',
  },
  INTERNAL: {
    en: 'The terminal failed to handle this. Try again; if it persists, tell support.',
    zh: '终端处理失败，请重试；如仍失败，请联系技术支持。',
  },
};

export function problemText(code: ApiProblemCode, locale: Locale): string {
  return locale === 'en' ? TEXT[code].en : TEXT[code].zh;
}

/** An API refusal: becomes `{error: {code, message, detail?, field?}}` with `status`. */
export class ApiProblem extends Error {
  readonly detail: string | undefined;
  readonly field: string | undefined;
  constructor(
    readonly status: number,
    readonly code: ApiProblemCode | (string & {}),
    message: string,
    options: { detail?: string; field?: string } = {},
  ) {
    super(message);
    this.name = 'ApiProblem';
    this.detail = options.detail;
    this.field = options.field;
  }

  /** A refusal of one of the host's own kinds, with its message in `locale`. */
  static of(
    status: number,
    code: ApiProblemCode,
    locale: Locale,
    options: { detail?: string; field?: string } = {},
  ): ApiProblem {
    return new ApiProblem(status, code, problemText(code, locale), options);
  }
}
