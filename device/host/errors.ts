/**
 * The host's own errors, classified in one place: what refuses to start the host (`HostError`), and
 * what an API answer refuses (`ApiProblem`: HTTP status, code, and a message for the cashier in the
 * terminal's language). Errors of other layers keep their own messages (see server.ts).
 */
import type { PaymentStatus } from '../../sync/journal/journal.ts';

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
  /** No PIN of that kind is set on this terminal: the action is disabled on the kiosk. */
  | 'PIN_NOT_SET'
  /** A wrong PIN (message built by {@link wrongPinText}, with the tries left). */
  | 'WRONG_PIN'
  /** The PIN is locked after too many wrong tries (message built by {@link pinLockedText}). */
  | 'PIN_LOCKED'
  /** No technician session, or it expired: enter the technician PIN again. */
  | 'TECHNICIAN_SESSION'
  | 'UNKNOWN_PAYMENT'
  /** The payment's state does not allow this (message built by {@link cannotChangeText}). */
  | 'ILLEGAL_TRANSITION'
  /** A void or refund of this payment is already being done. */
  | 'PAYMENT_BUSY'
  /** The terminal has no payment core to void a payment at. */
  | 'NO_CORE'
  /** The core could not be reached: nothing was sent, nothing recorded. */
  | 'CORE_UNREACHABLE'
  /** The core did not answer in time, or the connection broke: it may have acted. */
  | 'CORE_NO_ANSWER'
  /** The core refused the request (see `detail`). */
  | 'CORE_REFUSED'
  /** The core can no longer cancel the payment (it cancels only on the day it approved it). */
  | 'VOID_TOO_LATE'
  /** No core to sync with: the terminal is not activated. */
  | 'NOT_ACTIVATED'
  /** The core refused the activation code (see `detail`). */
  | 'ACTIVATION_REFUSED'
  /** The core address given for activation is not an http(s) URL. */
  | 'BAD_CORE_URL'
  /** The activation code is not of the core's form. */
  | 'BAD_ACTIVATION_CODE'
  /** The receipt can't be drawn here (no CJK font). */
  | 'PREVIEW_UNAVAILABLE'
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
  PIN_NOT_SET: {
    en: 'No PIN is set for this on this terminal, so it is disabled here. Ask the technician to set one.',
    zh: '本终端未设置此功能的密码，因此已停用。请联系技术人员设置密码。',
  },
  WRONG_PIN: {
    en: 'Wrong PIN.',
    zh: '密码不正确。',
  },
  PIN_LOCKED: {
    en: 'Too many wrong PINs: the PIN is locked for a while.',
    zh: '密码错误次数过多，已暂时锁定。',
  },
  TECHNICIAN_SESSION: {
    en: 'The technician session has ended. Enter the technician PIN again.',
    zh: '技术人员会话已结束，请重新输入技术人员密码。',
  },
  UNKNOWN_PAYMENT: {
    en: 'No such payment on this terminal.',
    zh: '本终端没有这笔交易。',
  },
  ILLEGAL_TRANSITION: {
    en: 'This payment cannot be changed that way.',
    zh: '这笔交易不能这样更改。',
  },
  PAYMENT_BUSY: {
    en: 'This payment is being voided or refunded already. Wait for the result.',
    zh: '这笔交易正在撤销或退款中，请等待结果。',
  },
  NO_CORE: {
    en: 'This terminal is not connected to a payment core, so it cannot void a payment. Nothing was changed.',
    zh: '本终端未连接支付核心，无法撤销交易。交易未作任何更改。',
  },

  CORE_UNREACHABLE: {
    en: 'The payment core cannot be reached, so nothing was done and nothing changed. Try again when the terminal is online.',
    zh: '无法连接支付核心，操作未执行，也未作任何更改。请在终端联网后重试。',
  },
  CORE_NO_ANSWER: {
    en: 'The payment core did not answer in time. Nothing was changed on this terminal; try again (a void or refund is safe to repeat).',
    zh: '支付核心未及时应答，本终端未作任何更改。请重试（重复撤销或退款是安全的）。',
  },
  CORE_REFUSED: {
    en: 'The payment core refused this. Nothing was changed.',
    zh: '支付核心拒绝了此操作，交易未作任何更改。',
  },
  VOID_TOO_LATE: {
    en: 'The payment core can no longer void this payment: a payment can be voided only on the day the core took it (China time). Refund it instead. Nothing was changed.',
    zh: '支付核心已无法撤销这笔交易：交易只能在支付核心收单当天（北京时间）撤销。请改为退款。交易未作任何更改。',
  },
  NOT_ACTIVATED: {
    en: 'This terminal is not activated at a payment core, so there is nothing to sync with. Activate it first.',
    zh: '本终端尚未在支付核心激活，无法同步。请先激活。',
  },
  ACTIVATION_REFUSED: {
    en: 'The payment core refused the activation. Check the code, or ask the operator for a new one.',
    zh: '支付核心拒绝了激活。请检查激活码，或向运营方索取新的激活码。',
  },
  BAD_CORE_URL: {
    en: 'The payment core address is not valid: write it as http://host:port or https://host.',
    zh: '支付核心地址无效：请写成 http://主机:端口 或 https://主机 的形式。',
  },
  BAD_ACTIVATION_CODE: {
    en: 'This is not an activation code: it is 12 letters and digits, like ABCD-EFGH-JKMN.',
    zh: '这不是激活码：激活码由 12 个字母和数字组成，例如 ABCD-EFGH-JKMN。',
  },
  PREVIEW_UNAVAILABLE: {
    en: 'The receipt cannot be shown as a picture on this terminal (a Chinese font is missing). It can still be printed.',
    zh: '本终端无法显示小票图片（缺少中文字体），但仍可打印。',
  },
  INTERNAL: {
    en: 'The terminal failed to handle this. Try again; if it persists, tell support.',
    zh: '终端处理失败，请重试；如仍失败，请联系技术支持。',
  },
};

const zh = (locale: Locale) => locale !== 'en';

/** 403 WRONG_PIN: how many tries are left before the PIN locks. */
export function wrongPinText(attemptsLeft: number, locale: Locale): string {
  return zh(locale)
    ? `密码不正确，还可再试 ${attemptsLeft} 次。`
    : `Wrong PIN: ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left before it locks.`;
}

/** 423 PIN_LOCKED: when the PIN may be tried again. */
export function pinLockedText(retryAfterS: number, locale: Locale): string {
  return zh(locale)
    ? `密码错误次数过多，已锁定。请在 ${retryAfterS} 秒后重试。`
    : `Too many wrong PINs: the PIN is locked. Try again in ${retryAfterS} seconds.`;
}

export function problemText(code: ApiProblemCode, locale: Locale): string {
  return locale === 'en' ? TEXT[code].en : TEXT[code].zh;
}

export interface ApiProblemOptions {
  detail?: string;
  field?: string;
  attemptsLeft?: number;
  retryAfterS?: number;
}

/** An API refusal: becomes `{error: {code, message, detail?, field?, ...}}` with `status`. */
export class ApiProblem extends Error {
  readonly detail: string | undefined;
  readonly field: string | undefined;
  readonly attemptsLeft: number | undefined;
  readonly retryAfterS: number | undefined;
  constructor(
    readonly status: number,
    readonly code: ApiProblemCode | (string & {}),
    message: string,
    options: ApiProblemOptions = {},
  ) {
    super(message);
    this.name = 'ApiProblem';
    this.detail = options.detail;
    this.field = options.field;
    this.attemptsLeft = options.attemptsLeft;
    this.retryAfterS = options.retryAfterS;
  }

  /** A refusal of one of the host's own kinds, with its message in `locale`. */
  static of(
    status: number,
    code: ApiProblemCode,
    locale: Locale,
    options: ApiProblemOptions = {},
  ): ApiProblem {
    return new ApiProblem(status, code, problemText(code, locale), options);
  }
}

/** Why the merchant's QR can't be shown now (409 NO_CORE, 503 CORE_UNREACHABLE), and what to do instead. */
export function qrUnavailable(why: 'NO_CORE' | 'CORE_UNREACHABLE', locale: Locale): ApiProblem {
  const en = locale === 'en';
  const text =
    why === 'NO_CORE'
      ? en
        ? "A QR payment needs the payment core, and this terminal is not connected to one. Scan the customer's payment code instead."
        : '二维码收款需要连接支付核心，本终端未连接。请改为扫描顾客的付款码。'
      : en
        ? "The payment core can't be reached, and a QR payment needs it. Scan the customer's payment code instead."
        : '无法连接支付核心，二维码收款需要联网。请改为扫描顾客的付款码。';
  return new ApiProblem(why === 'NO_CORE' ? 409 : 503, why, text);
}

/** 409 ILLEGAL_TRANSITION: why a payment in `status` can't be voided or refunded, and what to do. */
export function cannotChangeText(action: 'void' | 'refund', status: PaymentStatus, locale: Locale): string {
  const en = !zh(locale);
  const verb = action === 'void' ? (en ? 'voided' : '撤销') : en ? 'refunded' : '退款';
  switch (status) {
    case 'accepted_offline':
      return en
        ? `This payment was stored offline and has not reached the payment core yet, so it cannot be ${verb} now. Sync first (technician screen: Sync now), then try again.`
        : `这笔交易为离线受理，尚未上传至支付核心，暂时无法${verb}。请先同步（技术人员界面：立即同步），然后再试。`;
    case 'voided':
      return en ? 'This payment is voided already.' : '这笔交易已撤销。';
    case 'refunded':
      return en ? 'This payment is refunded already.' : '这笔交易已退款。';
    case 'declined':
    case 'declined_after_sync':
      return en
        ? `This payment did not go through (it was declined): there is nothing to be ${verb}.`
        : `这笔交易未成功（已拒绝），无需${verb}。`;
    case 'captured':
    case 'unknown':
      return en
        ? `The outcome of this payment is still being checked. Wait for it, then try again.`
        : '这笔交易的结果仍在确认中，请等待结果后再试。';
    default:
      return en ? `This payment cannot be ${verb}.` : `这笔交易不能${verb}。`;
  }
}
