/**
 * Demo wallets' payment codes, and the judgement of a payment against one.
 *
 * A code is "28" and 16 digits from HMAC-SHA256(wallet secret, issue counter): a fresh one on every
 * request, not guessable from earlier ones without the secret. It is single use (even when the
 * payment fails, as wallet providers do) and valid for a payment captured within
 * {@link CODE_VALID_S} seconds of its issue; an offline payment is judged by its capture time
 * corrected by the terminal's clock offset.
 */
import crypto from 'node:crypto';

/** Alipay and WeChat Pay refresh the code on the phone about once a minute. */
export const CODE_VALID_S = 60;
/** Clock offsets are learned to the second (the Date header): allow that much before issue. */
export const CODE_EARLY_TOLERANCE_S = 5;
export const DEMO_CODE_PREFIX = '28';

export function walletCode(secret: Buffer, counter: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`payment-code/${counter}`).digest();
  const n = mac.readBigUInt64BE(0) % 10n ** 16n;
  return `${DEMO_CODE_PREFIX}${n.toString().padStart(16, '0')}`;
}

export interface CodeRow {
  code: string;
  wallet_id: string;
  /** When it was issued, in ms since the epoch (read as a number: no Date parsing per code). */
  issued_at_ms: number;
  /** A payment has used it already. */
  used: boolean;
}

export interface WalletRow {
  wallet_id: string;
  currency: string;
  balance_minor: number;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Reasons a merchant is shown for a payment the core refused. */
export const REASONS = {
  unknownCode: 'unknown payment code',
  codeReused: 'payment code already used',
  codeExpired: 'payment code expired',
  currency: 'currency does not match the wallet',
  balance: 'insufficient balance',
} as const;

/**
 * Judges a payment against its code and wallet at `atMs` (ms since the epoch): the core's clock for
 * an online payment, the corrected capture time for an offline one. The wallet is read under its
 * lock (undefined for a code already used: not needed); the code need not be (its single use is
 * kept by a unique index, see readCodes in service.ts). `balance` is the wallet's balance as it
 * stands within the batch being judged.
 */
export function judge(
  payment: { amountMinor: number; currency: string },
  code: CodeRow | undefined,
  wallet: WalletRow | undefined,
  balance: number,
  atMs: number,
  alreadyUsed: boolean,
): Verdict {
  if (!code) return { ok: false, reason: REASONS.unknownCode };
  // Before the wallet: an upload locks (and reads) only the wallets of codes not used yet.
  if (code.used || alreadyUsed) return { ok: false, reason: REASONS.codeReused };
  if (!wallet) return { ok: false, reason: REASONS.unknownCode };
  const age = (atMs - code.issued_at_ms) / 1000;
  if (age > CODE_VALID_S || age < -CODE_EARLY_TOLERANCE_S) return { ok: false, reason: REASONS.codeExpired };
  return judgeFunds(payment, wallet, balance);
}

/**
 * The wallet's part of {@link judge}: its currency and its balance. On its own for an order the
 * wallet pays from its QR: there is no code to judge.
 */
export function judgeFunds(
  payment: { amountMinor: number; currency: string },
  wallet: WalletRow,
  balance: number,
): Verdict {
  if (wallet.currency !== payment.currency) return { ok: false, reason: REASONS.currency };
  if (balance < payment.amountMinor) return { ok: false, reason: REASONS.balance };
  return { ok: true };
}

/**
 * The day a wallet cancels within, as the wallet providers this core stands for count it: China
 * Standard Time (UTC+8 all year), whatever zone the core's host runs in. By UTC dates, a payment
 * taken at 07:59 in Shanghai and voided at 08:01 was "yesterday's".
 */
export const WALLET_DAY_ZONE = 'China time, UTC+8';
const WALLET_DAY_OFFSET_MS = 8 * 3600 * 1000;
export function walletDay(at: Date): string {
  return new Date(at.getTime() + WALLET_DAY_OFFSET_MS).toISOString().slice(0, 10);
}
