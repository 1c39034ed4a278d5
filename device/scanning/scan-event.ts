/**
 * ScanEvent: what one scan means to the terminal, after routing (route.ts). One zod schema is the
 * type, the validation and (later) the local API's wire form for scans.
 */
import { z } from 'zod';
import { SYMBOLOGIES } from '../../drivers/scanner/codec/aim.ts';
import { maskCode } from '../checkout/payment-code.ts';
import { ACTIVATION_CODE_ALPHABET, maskActivationCardText, maskActivationCode } from './activation-card.ts';
import { maskWifiQrText } from './wifi-qr.ts';

/** Wi-Fi credentials from a Wi-Fi QR. `WPA` covers WPA/WPA2/WPA3-Personal; `SAE` is WPA3-only. */
export const WifiCredentials = z.discriminatedUnion('security', [
  z.object({ security: z.literal('nopass'), ssid: z.string().min(1), hidden: z.boolean() }).strict(),
  z
    .object({
      security: z.enum(['WPA', 'SAE', 'WEP']),
      ssid: z.string().min(1),
      password: z.string().min(1),
      hidden: z.boolean(),
    })
    .strict(),
]);
export type WifiCredentials = z.infer<typeof WifiCredentials>;

/** A group of the code; `*` appears only in a copy from {@link maskedScanEvent}. */
const codeGroup = `[${ACTIVATION_CODE_ALPHABET}*]{4}`;
export const ActivationCard = z
  .object({
    /** The core's base URL, http or https, without a trailing `/`. */
    coreUrl: z.url({ protocol: /^https?$/ }),
    /** The one-time activation code in the core's form, e.g. `ABCD-EFGH-JKMN`. */
    code: z.string().regex(new RegExp(`^${codeGroup}-${codeGroup}-${codeGroup}$`)),
  })
  .strict();
export type ActivationCard = z.infer<typeof ActivationCard>;

export const ProductCode = z
  .object({
    format: z.enum(['ean-13', 'upc-a']),
    /** The GTIN as scanned: 13 digits for EAN-13, 12 for UPC-A (not padded to GTIN-14). */
    gtin: z.string().regex(/^[0-9]{12,13}$/),
  })
  .strict();
export type ProductCode = z.infer<typeof ProductCode>;

const common = {
  /**
   * The text scanned, exactly. Empty when the scan was refused before it was text: too long, not
   * UTF-8, empty, or containing a control character.
   */
  data: z.string(),
  symbology: z.enum(SYMBOLOGIES),
  /** The logical scanner's address, e.g. `hid:0c2e:0b61:21345B0F3B`. */
  source: z.string(),
  /** When the scan was routed (ISO 8601, UTC). */
  at: z.iso.datetime(),
};

export const ScanEvent = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('payment_code'), scheme: z.string().min(1) }).strict(),
  z.object({ ...common, kind: z.literal('wifi'), wifi: WifiCredentials }).strict(),
  z.object({ ...common, kind: z.literal('activation'), activation: ActivationCard }).strict(),
  z.object({ ...common, kind: z.literal('product'), product: ProductCode }).strict(),
  /** `reason` is a sentence for a technician saying what was wrong; it never holds a secret. */
  z.object({ ...common, kind: z.literal('unknown'), reason: z.string().min(1) }).strict(),
]);
export type ScanEvent = z.infer<typeof ScanEvent>;
export type ScanKind = ScanEvent['kind'];

const MASKED_PASSWORD = '********';

/**
 * A copy of the event safe for logs, receipts and diagnostics:
 * - payment code: `data` masked by `maskCode` (first two and last four digits);
 * - Wi-Fi: the password becomes `********` (fixed length, so its length does not leak), and so
 *   does every `P:` value in `data`;
 * - activation: the code keeps only its last four characters, in `activation` and in `data`;
 * - unknown: `data` that could hold a secret is masked the same way: digits-only text (a payment
 *   code of a scheme not in the table), text starting `WIFI:` or `suanpan:`;
 * - product: unchanged.
 */
export function maskedScanEvent(event: ScanEvent): ScanEvent {
  switch (event.kind) {
    case 'payment_code':
      return { ...event, data: maskCode(event.data) };
    case 'wifi':
      return {
        ...event,
        data: maskWifiQrText(event.data),
        wifi:
          event.wifi.security === 'nopass' ? { ...event.wifi } : { ...event.wifi, password: MASKED_PASSWORD },
      };
    case 'activation':
      return {
        ...event,
        data: maskActivationCardText(event.data),
        activation: { ...event.activation, code: maskActivationCode(event.activation.code) },
      };
    case 'product':
      return { ...event, product: { ...event.product } };
    case 'unknown':
      return { ...event, data: maskUnknownData(event.data) };
  }
}

function maskUnknownData(data: string): string {
  if (/^[0-9]+$/.test(data)) return maskCode(data);
  if (/^wifi:/i.test(data)) return maskWifiQrText(data);
  if (/^suanpan:/i.test(data)) return maskActivationCardText(data);
  return data;
}
