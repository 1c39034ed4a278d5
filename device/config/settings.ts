/**
 * The terminal's settings: one zod schema, the only place a setting, its default and the reason for
 * that default are written. Read from `suanpan.json` in the data folder and `SUANPAN_*` variables
 * (see load-settings.ts); `suanpan config show` prints the result and where each value came from.
 */
import { z } from 'zod';
import { DEFAULT_PROFILE, PROFILES } from '../../drivers/printer/profiles.ts';
import { parseScannerUri } from '../../drivers/scanner/address.ts';
import { DEFAULT_DUPLICATE_WINDOW_MS } from '../../drivers/scanner/codec/dedupe.ts';
import { parseDeviceUri } from '../../drivers/transport/uri.ts';
import {
  AmountError,
  CurrencyCode,
  isKnownCurrency,
  type Money,
  parseAmount,
} from '../../sync/protocol/money.ts';

function deviceUriProblem(uri: string): string | undefined {
  try {
    parseDeviceUri(uri);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
const validDeviceUri = (uri: string) => deviceUriProblem(uri) === undefined;

function scannerUriProblem(uri: string): string | undefined {
  try {
    parseScannerUri(uri);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * An amount as a person writes it ("200.00"). The form is checked here, so its error is reported
 * with the others; the number of decimals depends on the terminal currency and is checked below.
 */
const AmountText = z.string().refine((s) => /^(0|[1-9][0-9]{0,11})(\.[0-9]+)?$/.test(s) && /[1-9]/.test(s), {
  message: 'must be an amount greater than 0 written as text, such as "200.00"',
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const Settings = z
  .object({
    terminal: z
      .object({
        currency: CurrencyCode.default('CNY').describe(
          'Currency of the payments this terminal takes (ISO 4217).',
        ),
        locale: z
          .enum(['zh-CN', 'en'])
          .default('zh-CN')
          .describe('Language of the kiosk, receipts and messages.'),
        merchantName: z
          .string()
          .max(80)
          .nullable()
          .default(null)
          .describe('Name printed on receipts; none means the name the core gave at activation.'),
      })
      .strict()
      .prefault({}),
    offlinePolicy: z
      .object({
        // Everyday counter payments (高频、小额) are far below ¥200, and one payment the core later
        // declines should cost a small merchant no more than that (Moneris Go ships $250).
        perPaymentMax: AmountText.default('200.00').describe(
          'Largest single payment taken offline, in the terminal currency.',
        ),
        // Ten maximum-size payments: a few hours of a small shop's sales, the merchant's whole
        // exposure while the link is down.
        totalStoredMax: AmountText.default('2000.00').describe(
          'Largest total of offline payments stored and not yet forwarded.',
        ),
        // EMV-style velocity limit; also keeps the catch-up upload to a single batch (Moneris: 500).
        maxStoredCount: z
          .number()
          .int()
          .min(0)
          .default(200)
          .describe('Most offline payments stored and not yet forwarded (0 disables offline payments).'),
        // Square's upper bound for uploading offline payments is 72 h; a long weekend without signal.
        // Past it the terminal's view of codes and balances is too stale to keep accepting.
        maxHoursSinceSync: z
          .number()
          .positive()
          .default(72)
          .describe('Hours after the last successful sync (or first start) when offline payments stop.'),
      })
      .strict()
      .prefault({}),
    core: z
      .object({
        url: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .default(null)
          .describe('Base URL of the cloud payment core; none means every payment takes the offline path.'),
        // Wallet practice: a customer confirming on the phone takes seconds; past 15 s the payment is
        // "unknown" and is resolved by query and cancel rather than left hanging at the counter.
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(15_000)
          .describe('Time allowed for an online authorisation.'),
      })
      .strict()
      .prefault({}),
    printer: z
      .object({
        uri: z
          .string()
          .refine(validDeviceUri, { error: (issue) => deviceUriProblem(issue.input as string) })
          .nullable()
          .default(null)
          .describe(
            'Receipt printer: tcp://HOST[:PORT], serial:/dev/serial/by-id/...?baud=9600, usb:VID:PID[:SERIAL] or lp:/dev/usb/lp0; none: no printing.',
          ),
        profile: z
          .enum(Object.keys(PROFILES) as [string, ...string[]])
          .default(DEFAULT_PROFILE)
          .describe('What the printer can do: paper width, Chinese font, native QR, cutter.'),
        // A printer answers a status request within milliseconds; half a second means it won't.
        statusTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(500)
          .describe('Time allowed for the printer to answer a status request.'),
        receipts: z
          .boolean()
          .default(true)
          .describe('Print a receipt after each approved or offline-accepted payment.'),
      })
      .strict()
      .prefault({}),
    scanner: z
      .object({
        uris: z
          .array(
            z.string().refine((uri) => scannerUriProblem(uri) === undefined, {
              error: (issue) => scannerUriProblem(issue.input as string),
            }),
          )
          .default([])
          .describe(
            'Scanners to open: hid:VID:PID[:SERIAL], wedge:VID:PID[:SERIAL] or serial:/dev/serial/by-id/...?baud=9600&suffix=cr (see `suanpan scanners`).',
          ),
        duplicateWindowMs: z
          .number()
          .int()
          .min(0)
          .default(DEFAULT_DUPLICATE_WINDOW_MS)
          .describe('A code read again within this time (a phone held up to the scanner) counts once.'),
        // The reference core's demo wallets issue 18-digit codes starting 28, inside Alipay's range
        // (25–30, 16–24 digits): only a terminal that talks to the demo core may call them "demo".
        demoWalletCodes: z
          .boolean()
          .default(false)
          .describe(
            "Recognise 18-digit codes starting 28 as the reference core's demo wallet (demos and tests only).",
          ),
      })
      .strict()
      .prefault({}),
    kiosk: z
      .object({
        // Fixed rather than random so a browser bookmark, the Electron shell and a technician's
        // curl all find the host; 0 takes any free port (tests, a second host on one machine).
        port: z
          .number()
          .int()
          .min(0)
          .max(65_535)
          .default(7420)
          .describe("Port of the kiosk's local API on 127.0.0.1 (0: any free port)."),
        // No PIN ships in the code: a default PIN would be the same known PIN on every terminal.
        // Until the merchant sets one, void and refund stay disabled rather than open to anyone at
        // the counter (they move money back out of the till).
        supervisorPin: z
          .string()
          .regex(/^[0-9]{4,8}$/, { message: 'must be 4 to 8 digits, written as text, such as "2580"' })
          .nullable()
          .default(null)
          .describe('PIN (4–8 digits) for void and refund on the kiosk; none disables them there.'),
        // The technician screens activate the terminal and change its devices: disabled until the
        // installer sets a PIN for this terminal (in suanpan.json or SUANPAN_KIOSK_TECHNICIAN_PIN);
        // the `suanpan` CLI on the box stays available to them meanwhile.
        technicianPin: z
          .string()
          .regex(/^[0-9]{4,8}$/, { message: 'must be 4 to 8 digits, written as text, such as "2580"' })
          .nullable()
          .default(null)
          .describe('PIN (4–8 digits) for the technician screens on the kiosk; none disables them.'),
      })
      .strict()
      .prefault({}),
    journal: z
      .object({
        busyTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe('How long a write waits for another process holding the journal.'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z
          .enum(LOG_LEVELS)
          .default('info')
          .describe('Least severe log level written to logs/suanpan.log.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!isKnownCurrency(s.terminal.currency)) return; // reported on terminal.currency already
    for (const key of ['perPaymentMax', 'totalStoredMax'] as const) {
      // Not an amount at all: said once already, by the field's own check.
      if (!AmountText.safeParse(s.offlinePolicy[key]).success) continue;
      try {
        parseAmount(s.offlinePolicy[key], s.terminal.currency);
      } catch (err) {
        if (!(err instanceof AmountError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['offlinePolicy', key], message: err.message });
      }
    }
  });
export type Settings = z.infer<typeof Settings>;

/** Settings whose values are secrets: `config show` says whether they are set, never what they are. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['kiosk.supervisorPin', 'kiosk.technicianPin']);

/** The offline policy's limits in minor units of the terminal currency. */
export interface OfflineLimits {
  perPayment: Money;
  totalStored: Money;
  maxStoredCount: number;
  maxHoursSinceSync: number;
}

export function offlineLimits(settings: Settings): OfflineLimits {
  const currency = settings.terminal.currency;
  const p = settings.offlinePolicy;
  return {
    perPayment: parseAmount(p.perPaymentMax, currency),
    totalStored: parseAmount(p.totalStoredMax, currency),
    maxStoredCount: p.maxStoredCount,
    maxHoursSinceSync: p.maxHoursSinceSync,
  };
}
