/**
 * Routing: what a scan means. A driver hands up a RawScan; routeScan turns it into exactly one
 * ScanEvent, by content alone (many scanners send no AIM identifier, so the symbology is carried
 * along but never decides). Input that is not one of the known forms is reported, never guessed.
 */
import type { RawScan } from '../../drivers/scanner/raw-scan.ts';
import {
  classifyPaymentCode,
  DEFAULT_SCHEMES,
  PaymentCodeError,
  type SchemeRule,
} from '../checkout/payment-code.ts';
import { parseActivationCard } from './activation-card.ts';
import { parseProductCode } from './product-code.ts';
import type { ScanEvent } from './scan-event.ts';
import { scanText } from './scan-text.ts';
import { parseWifiQr } from './wifi-qr.ts';

export interface RouteOptions {
  /** The payment-code scheme table; DEFAULT_SCHEMES (payment-code-schemes.json) when absent. */
  schemes?: readonly SchemeRule[];
  /** The clock for `at`. */
  now?: () => Date;
}

/** The part of a ScanEvent that depends on the text: its kind and what goes with it. */
type Meaning = ScanEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'data' | 'symbology' | 'source' | 'at'>
    : never
  : never;

/**
 * Routes one scan. Pure apart from `now`, and never throws for any bytes.
 *
 * 0. A scan the driver marked as damaged (`raw.fault`) → `unknown` with that reason, `data: ''`.
 * 1. Refusals (scan-text.ts): over 4096 bytes, empty, not UTF-8, or with a control character →
 *    `unknown` with the reason and `data: ''`.
 * 2. Digits only (ASCII 0–9):
 *    a. payment code, by `classifyPaymentCode` with `options.schemes`: first matching rule wins;
 *    b. otherwise 12 or 13 digits: a product barcode (UPC-A / EAN-13), check digit verified;
 *       a wrong check digit → `unknown` saying which digit was expected;
 *    c. otherwise `unknown` with the classifier's reason (it names the length or prefix that
 *       failed).
 *    Payment rules come first, so a scheme table with a 12- or 13-digit rule would take such codes
 *    from product barcodes. The default table has none (its shortest codes are 16 digits), so
 *    today the ranges do not overlap: 12–13 digits are product candidates, 16–24 payment ones.
 * 3. Text starting `WIFI:` (any case): a Wi-Fi QR (wifi-qr.ts), or `unknown` with its reason.
 * 4. Text starting `suanpan:` (any case): an activation card (activation-card.ts), or `unknown`.
 * 5. Anything else → `unknown` ("not a payment code, Wi-Fi QR, activation card or product
 *    barcode"). Nothing is trimmed: a stray space makes a scan unknown rather than guessed.
 *
 * `data` is the scanned text exactly (for a payment code, the code itself: log only
 * `maskedScanEvent(event)`).
 */
export function routeScan(raw: RawScan, options: RouteOptions = {}): ScanEvent {
  const common = {
    symbology: raw.symbology,
    source: raw.source,
    at: (options.now?.() ?? new Date()).toISOString(),
  };
  // The driver already knows these bytes are not the whole code (garbled keys, bytes lost).
  if (raw.fault)
    return { ...common, data: '', kind: 'unknown', reason: `The scan was damaged: ${raw.fault}.` };
  const text = scanText(raw.bytes);
  if (!text.ok) return { ...common, data: '', kind: 'unknown', reason: text.reason };
  return { ...common, data: text.text, ...meaningOf(text.text, options.schemes ?? DEFAULT_SCHEMES) };
}

function meaningOf(text: string, schemes: readonly SchemeRule[]): Meaning {
  if (/^[0-9]+$/.test(text)) {
    let paymentReason: string;
    try {
      return { kind: 'payment_code', scheme: classifyPaymentCode(text, schemes).scheme };
    } catch (err) {
      if (!(err instanceof PaymentCodeError)) throw err;
      paymentReason = err.message;
    }
    if (text.length === 12 || text.length === 13) {
      const product = parseProductCode(text);
      return product.ok ? { kind: 'product', product: product.product } : unknown(product.reason);
    }
    return unknown(paymentReason);
  }
  if (/^wifi:/i.test(text)) {
    const wifi = parseWifiQr(text);
    return wifi.ok ? { kind: 'wifi', wifi: wifi.wifi } : unknown(wifi.reason);
  }
  if (/^suanpan:/i.test(text)) {
    const card = parseActivationCard(text);
    return card.ok ? { kind: 'activation', activation: card.activation } : unknown(card.reason);
  }
  return unknown(
    'The scan is not a payment code, Wi-Fi QR, activation card or product barcode (EAN-13 / UPC-A), so it was not used.',
  );
}

function unknown(reason: string): Meaning {
  return { kind: 'unknown', reason };
}
