import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, MAX_SCAN_BYTES, scanText } from './scan-text.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);
const reasonOf = (input: Uint8Array) => {
  const r = scanText(input);
  return r.ok ? `accepted: ${r.text}` : r.reason;
};

describe('scanText', () => {
  it('accepts UTF-8 text up to 4096 bytes, exactly as sent', () => {
    expect(scanText(utf8('281234567890123456'))).toEqual({ ok: true, text: '281234567890123456' });
    expect(scanText(utf8('咖啡店 Wi-Fi'))).toEqual({ ok: true, text: '咖啡店 Wi-Fi' });
    const longest = 'a'.repeat(MAX_SCAN_BYTES);
    expect(scanText(utf8(longest))).toEqual({ ok: true, text: longest });
    // A byte-order mark is kept, not silently dropped.
    expect(scanText(bytes(0xef, 0xbb, 0xbf, 0x31))).toEqual({ ok: true, text: '\uFEFF1' });
  });

  it('refuses 4097 bytes as too long', () => {
    expect(reasonOf(utf8('2'.repeat(4097)))).toMatch(/too long: 4097 bytes.*4096/);
  });

  it('refuses empty input', () => {
    expect(reasonOf(bytes())).toMatch(/empty/);
  });

  it.each([
    ['a GS inside a code', '2812345\x1d67890123456', 'U+001D (GS) at position 8', /GS1/],
    ['NUL first', '\x00abc', 'U+0000 (NUL) at position 1', /refused/],
    ['a trailing CR', '281234567890123456\r', 'U+000D (CR) at position 19', /suffix/],
    ['a tab', 'WIFI:S:a\tb;;', 'U+0009 (HT)', /refused/],
    ['DEL', 'ab\x7f', 'U+007F (DEL) at position 3', /refused/],
    ['a C1 control (NEL)', '咖\u0085', 'U+0085 at position 2', /refused/],
    ['the last C1 control', '\u009f', 'U+009F', /refused/],
  ])('refuses %s, naming the character', (_, text, named, hint) => {
    const reason = reasonOf(utf8(text));
    expect(reason).toContain(named);
    expect(reason).toMatch(hint);
  });

  it('accepts the characters just outside the control ranges', () => {
    expect(scanText(utf8(' ~\u00a0'))).toEqual({ ok: true, text: ' ~\u00a0' });
  });

  it.each([
    ['a lone 0xFF', bytes(0xff), 'byte 0xFF at offset 0'],
    ['a truncated multibyte character', bytes(0x32, 0x38, 0xe5, 0x92), 'byte 0xE5 at offset 2'],
    ['a lone continuation byte', bytes(0x31, 0x80), 'byte 0x80 at offset 1'],
    ['an overlong slash', bytes(0xc0, 0xaf), 'byte 0xC0 at offset 0'],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80), 'byte 0xED at offset 0'],
    ['a code point above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 'byte 0xF4 at offset 0'],
    ['GBK text', bytes(0xbf, 0xa7, 0xb7, 0xc8), 'byte 0xBF at offset 0'],
  ])('refuses %s as not UTF-8, naming the byte', (_, input, named) => {
    const reason = reasonOf(input);
    expect(reason).toContain('not valid UTF-8');
    expect(reason).toContain(named);
  });
});

describe('firstInvalidUtf8', () => {
  // `size: 'max'`: fast-check's default size stops arrays and strings at about 10 items, so a
  // sequence cut by the end of a long input, or a bad byte far in, would never be tried.
  const utf8ish = fc.oneof(
    fc.uint8Array({ maxLength: 300, size: 'max' }),
    fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom(
            0x7f,
            0x80,
            0x8f,
            0x90,
            0x9f,
            0xa0,
            0xbf,
            0xc1,
            0xc2,
            0xe0,
            0xed,
            0xef,
            0xf0,
            0xf4,
            0xf5,
          ),
        ),
        { maxLength: 300, size: 'max' },
      )
      .map((a) => Uint8Array.from(a)),
    fc.string({ unit: 'binary', maxLength: 200, size: 'max' }).map(utf8),
    // Valid text, then its last bytes cut off: a truncated character at the very end.
    fc
      .tuple(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 200, size: 'max' }),
        fc.integer({ min: 1, max: 3 }),
      )
      .map(([text, cut]) => utf8(text).subarray(0, Math.max(0, utf8(text).length - cut))),
  );

  it('agrees with the WHATWG decoder on every input', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(utf8ish, (input) => {
        let valid = true;
        try {
          decoder.decode(input);
        } catch {
          valid = false;
        }
        const bad = firstInvalidUtf8(input);
        expect(bad === -1).toBe(valid);
        // The bytes before the first bad one decode on their own.
        if (bad > 0) expect(() => decoder.decode(input.subarray(0, bad))).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('scanText property', () => {
  /** Text whose UTF-8 length is near the 4 KiB limit: a character of 1–4 bytes straddles it. */
  const nearLimit = fc
    .tuple(
      fc.integer({ min: MAX_SCAN_BYTES - 8, max: MAX_SCAN_BYTES + 4 }),
      fc.constantFrom('2', 'é', '咖', '😀', '\r', '\u0085'),
    )
    .map(([length, last]) => utf8(`${'a'.repeat(Math.max(0, length - utf8(last).length))}${last}`));
  const input = fc.oneof(
    nearLimit,
    fc.uint8Array({ maxLength: 300, size: 'max' }),
    fc.string({ unit: 'binary', maxLength: 300, size: 'max' }).map(utf8),
    fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 1400, size: 'max' }).map(utf8),
  );

  it('accepts exactly the non-empty UTF-8 text of at most 4096 bytes without control characters, unchanged', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(input, (bytes) => {
        let text: string | undefined;
        try {
          text = decoder.decode(bytes);
        } catch {
          text = undefined;
        }
        // \p{Cc} is exactly C0, DEL and C1: U+0000–001F and U+007F–009F.
        const acceptable =
          bytes.length > 0 && bytes.length <= MAX_SCAN_BYTES && text !== undefined && !/\p{Cc}/u.test(text);
        const result = scanText(bytes);
        expect(result).toEqual(acceptable ? { ok: true, text } : { ok: false, reason: expect.any(String) });
        if (bytes.length > MAX_SCAN_BYTES) expect(reasonOf(bytes)).toMatch(/too long/);
      }),
      { numRuns: 500 },
    );
  });
});
