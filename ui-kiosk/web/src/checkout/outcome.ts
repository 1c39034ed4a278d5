/**
 * The result screen's words for a checkout that has ended: a tone (its colour and symbol), a large
 * title, and the reason in a cashier's words. The host records reasons in English for the journal;
 * the ones the kiosk knows are put in the cashier's language here, and the recorded text is kept as
 * a detail line so nothing the terminal said is hidden.
 */
import type { CheckoutState, OfflineQueue } from '../api/contract.ts';
import type { Translate } from '../i18n/dictionary.ts';
import { formatMoney } from '../i18n/money.ts';
import { type OfflineLimit, offlineLimitsBroken } from './offline-room.ts';

export type ResultTone = 'approved' | 'offline' | 'declined' | 'unknown' | 'failed';

export interface ResultView {
  tone: ResultTone;
  title: string;
  /** The reason and what to do, most important first. */
  lines: string[];
  /** The terminal's own record, verbatim (English), when it adds to the lines. */
  recorded?: string;
  /** The result may still change (a payment in doubt being checked). */
  pending: boolean;
}

/** Reasons of the reference core (sync/core/wallet-codes.ts REASONS), by their recorded text. */
const CORE_REASONS: Readonly<Record<string, Parameters<Translate>[0]>> = {
  'unknown payment code': 'reason.unknownCode',
  'payment code already used': 'reason.codeReused',
  'payment code expired': 'reason.codeExpired',
  'currency does not match the wallet': 'reason.currency',
  'insufficient balance': 'reason.balance',
};

/**
 * Reasons the terminal records for a merchant's QR order it ended (device/checkout/checkout.ts,
 * presentQr), by how they begin: the time waited is part of the text.
 */
const QR_REASONS: readonly (readonly [start: string, key: Parameters<Translate>[0]])[] = [
  ['cancelled at the till', 'reason.qrCancelled'],
  ['the customer did not pay within', 'reason.qrExpired'],
  ["the payment core can't be reached, and a qr payment needs it", 'reason.qrUnreachable'],
];

/** A decline reason the core recorded, in the cashier's words; null when the kiosk does not know it. */
export function coreReason(reason: string | null, t: Translate): string | null {
  const recorded = (reason ?? '').trim().toLowerCase();
  const key = CORE_REASONS[recorded] ?? QR_REASONS.find(([start]) => recorded.startsWith(start))?.[1];
  return key ? t(key) : null;
}

/** The core's answer the terminal could not record (device/checkout/errors.ts), by error code. */
const NOT_RECORDED: Readonly<
  Record<string, { title: Parameters<Translate>[0]; detail: Parameters<Translate>[0] }>
> = {
  APPROVED_NOT_RECORDED: {
    title: 'result.approvedNotRecorded.title',
    detail: 'result.approvedNotRecorded.detail',
  },
  IN_DOUBT_NOT_RECORDED: {
    title: 'result.inDoubtNotRecorded.title',
    detail: 'result.inDoubtNotRecorded.detail',
  },
};

/** Failures of checkout, by error code (journal, payment code, amount, host). */
const FAILURES: Readonly<Record<string, Parameters<Translate>[0]>> = {
  CODE_USED: 'reason.codeReused',
  INVALID_PAYMENT_CODE: 'reason.invalidCode',
  NOT_A_PAYMENT_CODE: 'reason.invalidCode',
  INVALID_AMOUNT: 'reason.invalidAmount',
  CORRUPT: 'reason.journal',
  READ_ONLY: 'reason.journal',
  DISK_FULL: 'reason.journal',
  NOT_DURABLE: 'reason.journal',
  MISSING: 'reason.journal',
  TOO_NEW: 'reason.journal',
  WRONG_KEY: 'reason.journal',
  IO: 'reason.journal',
};

/** One offline limit, named, with the figures. */
export function describeLimit(limit: OfflineLimit, t: Translate): string {
  switch (limit.limit) {
    case 'perPayment':
      return t('limit.perPayment', { max: formatMoney(limit.max), over: formatMoney(limit.over) });
    case 'totalStored':
      return t('limit.totalStored', { left: formatMoney(limit.left), over: formatMoney(limit.over) });
    case 'storedCount':
      return t('limit.storedCount', { max: limit.max });
    case 'sinceSync':
      return t('limit.sinceSync', { hours: limit.hours });
    case 'clock':
      return t('limit.clock');
    case 'forwarding':
      return t(limit.code === 'TERMINAL_REVOKED' ? 'limit.revoked' : 'limit.forwarding');
  }
}

function declineReason(checkout: CheckoutState, queueAtStart: OfflineQueue | null, t: Translate): string[] {
  const payment = checkout.payment;
  const reason = payment?.reason ?? '';
  if (payment?.mode === 'offline') {
    const broken = queueAtStart ? offlineLimitsBroken(queueAtStart, payment.amount.minor) : [];
    return broken.length > 0 ? broken.map((limit) => describeLimit(limit, t)) : [t('reason.offlineLimit')];
  }
  const known = coreReason(reason, t);
  if (known) return [known];
  if (reason.startsWith('the core refused it')) return [t('reason.coreRefused')];
  return [t('reason.other')];
}

export function describeResult(
  checkout: CheckoutState,
  queueAtStart: OfflineQueue | null,
  t: Translate,
): ResultView {
  const notRecorded = NOT_RECORDED[checkout.error?.code ?? ''];
  if (checkout.phase === 'failed' && checkout.error && notRecorded) {
    // The core approved it (or gave no answer) and the terminal could not record that: never "not
    // charged, try again", which would take the money twice.
    return {
      tone: 'unknown',
      title: t(notRecorded.title),
      lines: [t('result.unknown.doNotPay'), t(notRecorded.detail)],
      recorded: checkout.error.message,
      pending: false,
    };
  }
  if (checkout.phase === 'failed') {
    const code = checkout.error?.code ?? '';
    const key = FAILURES[code];
    const message = checkout.error?.message ?? '';
    return {
      tone: 'failed',
      title: t('result.failed.title'),
      lines: [key ? t(key) : t('reason.fromHost', { message }), t('result.failed.next')],
      ...(key && message ? { recorded: message } : {}),
      pending: false,
    };
  }
  const payment = checkout.payment;
  const recorded = payment?.reason ? { recorded: payment.reason } : {};
  switch (payment?.status) {
    case 'approved':
    case 'settled':
      return {
        tone: 'approved',
        title: t(payment.status === 'settled' ? 'result.settled.title' : 'result.approved.title'),
        lines: [t('result.approved.detail')],
        pending: false,
      };
    case 'accepted_offline':
      return {
        tone: 'offline',
        title: t('result.accepted_offline.title'),
        lines: [t('result.accepted_offline.detail')],
        pending: false,
      };
    case 'declined':
    case 'declined_after_sync':
      return {
        tone: 'declined',
        title: t('result.declined.title'),
        lines: [...declineReason(checkout, queueAtStart, t), t('result.declined.next')],
        ...recorded,
        pending: false,
      };
    default:
      // `unknown`, or `captured` with the answer not in yet: the customer may have paid.
      return {
        tone: 'unknown',
        title: t('result.unknown.title'),
        lines: [t('result.unknown.doNotPay'), t('result.unknown.detail'), t('result.unknown.later')],
        pending: true,
      };
  }
}
