import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Symbology } from '../../drivers/scanner/codec/aim.ts';
import type { RawScan } from '../../drivers/scanner/raw-scan.ts';
import { DEFAULT_SCHEMES, type SchemeRule } from '../checkout/payment-code.ts';
import { routeScan } from './route.ts';
import { ScanEvent } from './scan-event.ts';
import { MAX_SCAN_BYTES } from './scan-text.ts';

const AT = new Date('2025-03-01T08:30:00.000Z');
const now = () => AT;
const encode = (text: string) => new TextEncoder().encode(text);
const raw = (data: string | Uint8Array, symbology: Symbology = 'qr'): RawScan => ({
  bytes: typeof data === 'string' ? encode(data) : data,
  symbology,
  source: 'serial:/dev/serial/by-id/usb-Scanner-if00',
  receivedAt: 0,
});
const route = (data: string | Uint8Array, schemes?: readonly SchemeRule[]) =>
  routeScan(raw(data), { now, schemes });
/** A code of `length` digits starting with `prefix`; the rest cycles through 0–9. */
const code = (prefix: string, length: number) =>
  prefix + Array.from({ length: length - prefix.length }, (_, i) => String((i + 3) % 10)).join('');
const DEMO: SchemeRule = { scheme: 'demo', prefixes: [{ from: 28, to: 28 }], length: { min: 18, max: 18 } };

describe('routeScan: payment codes at the bounds of the scheme table', () => {
  it.each([
    // WeChat Pay: 10–15, 18 digits
    ['10', 18, 'wechat'],
    ['15', 18, 'wechat'],
    // Alipay: 25–30, 16–24 digits
    ['25', 16, 'alipay'],
    ['25', 24, 'alipay'],
    ['30', 16, 'alipay'],
    ['30', 24, 'alipay'],
    // UnionPay: 62, 16–20 digits
    ['62', 16, 'unionpay'],
    ['62', 20, 'unionpay'],
  ])('%s with %i digits is %s', (prefix, length, scheme) => {
    const data = code(prefix, length);
    expect(route(data)).toEqual({
      kind: 'payment_code',
      scheme,
      data,
      symbology: 'qr',
      source: 'serial:/dev/serial/by-id/usb-Scanner-if00',
      at: '2025-03-01T08:30:00.000Z',
    });
  });

  it.each([
    ['09', 18, "no wallet's codes start with 09"],
    ['16', 18, "no wallet's codes start with 16"],
    ['10', 17, 'wechat codes starting 10 have 18 digits, this one has 17'],
    ['15', 19, 'wechat codes starting 15 have 18 digits, this one has 19'],
    ['24', 18, "no wallet's codes start with 24"],
    ['31', 18, "no wallet's codes start with 31"],
    ['25', 15, 'alipay codes starting 25 have 16–24 digits, this one has 15'],
    ['30', 25, 'alipay codes starting 30 have 16–24 digits, this one has 25'],
    ['61', 16, "no wallet's codes start with 61"],
    ['63', 20, "no wallet's codes start with 63"],
    ['62', 15, 'unionpay codes starting 62 have 16–20 digits, this one has 15'],
    ['62', 21, 'unionpay codes starting 62 have 16–20 digits, this one has 21'],
  ])('%s with %i digits is unknown: %s', (prefix, length, why) => {
    const data = code(prefix, length);
    const event = route(data);
    expect(event).toMatchObject({ kind: 'unknown', data });
    expect(event.kind === 'unknown' && event.reason).toContain(why);
    // The classifier's reason masks the code; the reason never carries it whole.
    expect(event.kind === 'unknown' && event.reason).not.toContain(data);
  });

  it('lets a demo wallet rule placed first win over Alipay for 18-digit codes starting 28 only', () => {
    const schemes = [DEMO, ...DEFAULT_SCHEMES];
    expect(route(code('28', 18), schemes)).toMatchObject({ kind: 'payment_code', scheme: 'demo' });
    expect(route(code('28', 17), schemes)).toMatchObject({ kind: 'payment_code', scheme: 'alipay' });
    expect(route(code('28', 19), schemes)).toMatchObject({ kind: 'payment_code', scheme: 'alipay' });
    expect(route(code('27', 18), schemes)).toMatchObject({ kind: 'payment_code', scheme: 'alipay' });
    // Without the demo rule, the same code is Alipay's.
    expect(route(code('28', 18))).toMatchObject({ kind: 'payment_code', scheme: 'alipay' });
  });

  it('checks payment rules before product barcodes, so a table rule for 13 digits takes them', () => {
    const ean = '6901234567892';
    expect(route(ean)).toMatchObject({ kind: 'product' });
    const thirteen: SchemeRule = {
      scheme: 'demo',
      prefixes: [{ from: 69, to: 69 }],
      length: { min: 13, max: 13 },
    };
    expect(route(ean, [thirteen])).toMatchObject({ kind: 'payment_code', scheme: 'demo' });
  });

  it('refuses a scan the driver marked as damaged, whatever its bytes', () => {
    const event = routeScan(
      { ...raw('281234567890123456'), fault: 'keys without a character were typed inside it' },
      { now },
    );
    expect(event).toMatchObject({ kind: 'unknown', data: '' });
    expect(event.kind === 'unknown' && event.reason).toMatch(/damaged: keys without a character/);
  });

  it('does not trim or convert: spaces and full-width digits make a scan unknown', () => {
    for (const data of [` ${code('28', 18)}`, `${code('28', 18)} `, '２８１２３４５６７８９０１２３４５６']) {
      expect(route(data)).toMatchObject({ kind: 'unknown', data, reason: /not a payment code, Wi-Fi QR/ });
    }
  });
});

describe('routeScan: other kinds', () => {
  it('routes product barcodes with the check digit verified', () => {
    expect(route('4006381333931')).toMatchObject({
      kind: 'product',
      product: { format: 'ean-13', gtin: '4006381333931' },
    });
    expect(route('036000291452')).toMatchObject({
      kind: 'product',
      product: { format: 'upc-a', gtin: '036000291452' },
    });
    expect(route('4006381333932')).toMatchObject({
      kind: 'unknown',
      data: '4006381333932',
      reason: /EAN-13 check digit is wrong.*expected 1/,
    });
    expect(route('036000291453')).toMatchObject({
      kind: 'unknown',
      reason: /UPC-A check digit is wrong.*expected 2/,
    });
  });

  it('routes Wi-Fi QR codes, and bad ones to unknown with the reason', () => {
    const text = String.raw`WIFI:T:WPA;S:Shop\;1;P:pass\:word;H:true;;`;
    expect(route(text)).toMatchObject({
      kind: 'wifi',
      data: text,
      wifi: { security: 'WPA', ssid: 'Shop;1', password: 'pass:word', hidden: true },
    });
    expect(route('WIFI:T:WPA;S:Shop;P:password1;')).toMatchObject({
      kind: 'unknown',
      reason: /does not end with ";;"/,
    });
    expect(route('wifi:S:Shop;;')).toMatchObject({ kind: 'unknown', reason: /must start with WIFI:/ });
  });

  it('routes activation cards, and bad ones to unknown with the reason', () => {
    const text = 'suanpan://activate?core=https%3A%2F%2Fcore.example.com&code=ABCD-EFGH-JKMN';
    expect(route(text)).toMatchObject({
      kind: 'activation',
      activation: { coreUrl: 'https://core.example.com', code: 'ABCD-EFGH-JKMN' },
    });
    expect(route('suanpan://activate?core=https%3A%2F%2Fcore.example.com&code=ABCD-EFGH-JKMO')).toMatchObject(
      {
        kind: 'unknown',
        reason: /contains "O"/,
      },
    );
  });

  it('reports anything else as unknown, carrying symbology and source', () => {
    expect(routeScan(raw('https://example.com/menu', 'qr'), { now })).toEqual({
      kind: 'unknown',
      data: 'https://example.com/menu',
      reason:
        'The scan is not a payment code, Wi-Fi QR, activation card or product barcode (EAN-13 / UPC-A), so it was not used.',
      symbology: 'qr',
      source: 'serial:/dev/serial/by-id/usb-Scanner-if00',
      at: '2025-03-01T08:30:00.000Z',
    });
  });
});

describe('routeScan: refusals', () => {
  it.each([
    ['4097 bytes', encode('2'.repeat(4097)), /too long: 4097 bytes/],
    ['a GS inside a payment code', encode('2812345\x1d67890123456'), /U\+001D \(GS\) at position 8/],
    ['a trailing LF', encode(`${code('28', 18)}\n`), /U\+000A \(LF\)/],
    ['a C1 control', encode('WIFI:S:a\u0085;;'), /U\+0085/],
    ['a lone 0xFF', Uint8Array.of(0xff), /not valid UTF-8.*0xFF at offset 0/],
    [
      'a truncated multibyte character',
      Uint8Array.of(0x32, 0x38, 0xe5, 0x92),
      /not valid UTF-8.*0xE5 at offset 2/,
    ],
    ['empty input', new Uint8Array(0), /empty/],
  ])('refuses %s as unknown, with no data', (_, bytes, why) => {
    const event = route(bytes);
    expect(event).toMatchObject({ kind: 'unknown', data: '', reason: why });
  });

  it('routes 4096 bytes', () => {
    expect(route('a'.repeat(4096))).toMatchObject({ kind: 'unknown', data: 'a'.repeat(4096) });
  });
});

describe('routeScan: properties', () => {
  const decodes = (bytes: Uint8Array): string | undefined => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return undefined;
    }
  };
  // `size: 'max'` throughout: fast-check's default size stops arrays, strings and regex repeats at
  // about 10, short of every scheme's length bounds (16–24 digits) and of the 4 KiB limit.
  const max = { size: 'max' } as const;
  /** Text whose UTF-8 length is near the 4 KiB limit, ending in a character of 1–4 bytes. */
  const nearLimit = fc
    .tuple(fc.integer({ min: 4088, max: 4100 }), fc.constantFrom('2', 'é', '咖', '😀'), fc.boolean())
    .map(([bytes, last, digitsOnly]) =>
      encode(`${(digitsOnly ? '2' : 'a').repeat(Math.max(0, bytes - encode(last).length))}${last}`),
    );
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 64, ...max }),
    fc.uint8Array({ minLength: 4090, maxLength: 4100 }),
    nearLimit,
    fc.string({ unit: 'binary', maxLength: 40, ...max }).map(encode),
    fc.stringMatching(/^[0-9]{0,30}$/, max).map(encode),
    fc.stringMatching(/^WIFI:([TSPHR]:[^;]{0,70};){0,5};?$/, max).map(encode),
    fc.stringMatching(/^suanpan:\/\/activate\?(core=[^&]{0,40}|code=[^&]{0,20}|&){0,4}$/, max).map(encode),
  );

  it('turns any bytes into a valid ScanEvent, never throwing, never inventing data', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const event = route(bytes);
        expect(ScanEvent.safeParse(event).success).toBe(true);
        const text = decodes(bytes);
        if (event.kind !== 'unknown') expect(event.data).toBe(text);
        else expect(event.data === '' || event.data === text).toBe(true);
        // Nothing over 4 KiB gets through, whatever character straddles the limit.
        if (bytes.length > MAX_SCAN_BYTES) expect(event).toMatchObject({ kind: 'unknown', data: '' });
      }),
      { numRuns: 1000 },
    );
  });

  it('routes digits of any length as a payment code exactly when a rule takes its prefix and length', () => {
    // Every length from 0 to past the longest rule (24), each prefix in and around the table.
    const digits = fc.stringMatching(/^[0-9]{0,30}$/, max);
    fc.assert(
      fc.property(digits, (data) => {
        const event = route(data);
        const prefix = Number(data.slice(0, 2));
        const rule = DEFAULT_SCHEMES.find(
          (r) =>
            r.prefixes.some((p) => prefix >= p.from && prefix <= p.to) &&
            data.length >= r.length.min &&
            data.length <= r.length.max,
        );
        expect(event.data).toBe(data);
        if (rule) expect(event).toMatchObject({ kind: 'payment_code', scheme: rule.scheme });
        else if (data.length === 12 || data.length === 13)
          expect(['product', 'unknown']).toContain(event.kind);
        else expect(event.kind).toBe('unknown');
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a payment code exactly as scanned', () => {
    const inTable = fc.oneof(
      fc.tuple(fc.integer({ min: 10, max: 15 }), fc.constant(18)),
      fc.tuple(fc.integer({ min: 25, max: 30 }), fc.integer({ min: 16, max: 24 })),
      fc.tuple(fc.constant(62), fc.integer({ min: 16, max: 20 })),
    );
    fc.assert(
      fc.property(inTable, fc.stringMatching(/^[0-9]{22}$/), ([prefix, length], digits) => {
        const data = `${prefix}${digits}`.slice(0, length);
        const event = route(data);
        expect(event.kind).toBe('payment_code');
        expect(event.data).toBe(data);
      }),
    );
  });

  it('refuses invalid input as unknown with empty data', () => {
    const invalid = fc.oneof(
      // valid text with a control character spliced in
      fc
        .tuple(
          fc.string({ maxLength: 2100, ...max }),
          fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
          fc.string({ maxLength: 2100, ...max }),
        )
        .map(([a, c, b]) => encode(a + String.fromCodePoint(c) + b)),
      // a byte that never occurs in UTF-8
      fc
        .tuple(
          fc.uint8Array({ maxLength: 2100, ...max }),
          fc.constantFrom(0xc0, 0xc1, 0xf5, 0xfe, 0xff),
          fc.uint8Array({ maxLength: 2100, ...max }),
        )
        .map(([a, b, c]) => Uint8Array.from([...a, b, ...c])),
      // over 4 KiB, even of digits
      fc.integer({ min: 4097, max: 9000 }).map((n) => encode('2'.repeat(n))),
    );
    fc.assert(
      fc.property(invalid, (bytes) => {
        expect(route(bytes)).toMatchObject({ kind: 'unknown', data: '' });
      }),
    );
  });
});
