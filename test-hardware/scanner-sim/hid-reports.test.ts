/**
 * The report generators against bytes written out by hand from the layouts (HID POS vendor layout,
 * HID 1.11 boot keyboard), and properties over random codes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { codeWithSplitPoints } from './arbitraries.ts';
import { ScannerSimError } from './errors.ts';
import {
  bootKeyboardReports,
  heldKeyReports,
  hidPosReports,
  KEYPAD_LAYOUT,
  noiseReports,
  rolloverReport,
  US_LAYOUT,
} from './hid-reports.ts';

const hex = (b: Buffer): string => b.toString('hex');
const zeros = (n: number): string => '00'.repeat(n);

describe('hidPosReports', () => {
  test('a short code is one 64-byte report: ID, length, AIM, data, zero padding, reserved, last', () => {
    const reports = hidPosReports('2821234567');
    expect(reports.map(hex)).toEqual([
      // id  len   ]  Q  1    "2821234567"                    pad       reserved  more
      `02${'0a'}${'5d5131'}${'32383231323334353637'}${zeros(46)}${'0000'}${'00'}`,
    ]);
    expect(reports[0]).toHaveLength(64);
  });

  test('a 130-byte code spans 3 reports of 56, 56 and 18 bytes, "more" set on all but the last', () => {
    const code = Uint8Array.from({ length: 130 }, (_, i) => i + 1);
    const reports = hidPosReports(code, { aim: ']d2', reportId: 0x05 });
    expect(reports).toHaveLength(3);
    const run = (from: number, to: number): string =>
      Array.from({ length: to - from + 1 }, (_, i) => (from + i).toString(16).padStart(2, '0')).join('');
    expect(reports.map(hex)).toEqual([
      `05${'38'}${'5d6432'}${run(1, 56)}${'0000'}${'01'}`,
      `05${'38'}${'5d6432'}${run(57, 112)}${'0000'}${'01'}`,
      `05${'12'}${'5d6432'}${run(113, 130)}${zeros(38)}${'0000'}${'00'}`,
    ]);
    for (const report of reports) expect(report).toHaveLength(64);
  });

  test('56 bytes fit one report; 57 take two, the second with one byte', () => {
    expect(hidPosReports('x'.repeat(56)).map((r) => [r[1], r[63]])).toEqual([[56, 0]]);
    expect(hidPosReports('x'.repeat(57)).map((r) => [r[1], r[63]])).toEqual([
      [56, 1],
      [1, 0],
    ]);
  });

  test('an empty code is one report of length 0; a string is sent as UTF-8', () => {
    expect(hidPosReports('').map(hex)).toEqual([`02${'00'}${'5d5131'}${zeros(56)}${'0000'}${'00'}`]);
    const [report] = hidPosReports('付');
    expect(report?.subarray(1, 8).toString('hex')).toBe(`03${'5d5131'}${'e4bb98'}`);
  });

  test('a bad AIM identifier or report ID is refused with BAD_INPUT / BAD_OPTION', () => {
    expect(() => hidPosReports('1', { aim: ']Q' })).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining('"]Q"') }),
    );
    expect(() => hidPosReports('1', { aim: ']Q\u00e9' })).toThrow(ScannerSimError);
    expect(() => hidPosReports('1', { reportId: 256 })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }),
    );
  });

  test('property: the data bytes of the reports, by their length bytes, are the code', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400, size: 'max' }),
        fc.integer({ min: 0, max: 255 }),
        (code, reportId) => {
          const reports = hidPosReports(code, { reportId, aim: ']C0' });
          expect(reports).toHaveLength(Math.max(1, Math.ceil(code.length / 56)));
          const data = Buffer.concat(
            reports.map((r, i) => {
              expect(r).toHaveLength(64);
              expect(r[0]).toBe(reportId);
              expect(r.subarray(2, 5).toString('ascii')).toBe(']C0');
              expect(r[63]).toBe(i < reports.length - 1 ? 1 : 0);
              expect(hex(r.subarray(5 + (r[1] ?? 0), 64 - 1))).toBe(zeros(58 - (r[1] ?? 0)));
              return r.subarray(5, 5 + (r[1] ?? 0));
            }),
          );
          expect(hex(data)).toBe(Buffer.from(code).toString('hex'));
        },
      ),
    );
  });

  test('split reports: an 18-digit code cut at 1, 5, 9 and 17 is five reports of 1, 4, 4, 8 and 1 bytes', () => {
    const reports = hidPosReports('281234567890123456', { splitAt: [1, 5, 9, 17] });
    expect(reports.map((r) => [r[1], r.subarray(5, 5 + (r[1] ?? 0)).toString('latin1'), r[63]])).toEqual([
      [1, '2', 1],
      [4, '8123', 1],
      [4, '4567', 1],
      [8, '89012345', 1],
      [1, '6', 0],
    ]);
    // id  len  ]  Q  1    "8123"      pad         reserved  more
    expect(hex(reports[1] as Buffer)).toBe(`02${'04'}${'5d5131'}${'38313233'}${zeros(52)}${'0000'}${'01'}`);
  });

  test('split reports: a part longer than 56 bytes is still cut every 56', () => {
    const reports = hidPosReports('x'.repeat(130), { splitAt: [10] });
    expect(reports.map((r) => [r[1], r[63]])).toEqual([
      [10, 1],
      [56, 1],
      [56, 1],
      [8, 0],
    ]);
  });

  test('split points out of range or out of order are refused with BAD_OPTION, named', () => {
    for (const splitAt of [[0], [18], [5, 5], [9, 5], [2.5], [-1]]) {
      expect(() => hidPosReports('281234567890123456', { splitAt })).toThrow(
        expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringContaining('split point') }),
      );
    }
    expect(() => hidPosReports('', { splitAt: [1] })).toThrow(ScannerSimError);
  });

  test('property: split reports end exactly at the split points and every 56 bytes between, and carry the code', () => {
    const codeAndSplits = codeWithSplitPoints({ maxLength: 300, maxSplits: 30 });
    fc.assert(
      fc.property(codeAndSplits, ([code, splitAt]) => {
        const reports = hidPosReports(code, { splitAt });
        const ends: number[] = [];
        let at = 0;
        for (const [i, r] of reports.entries()) {
          expect(r).toHaveLength(64);
          expect(r[1]).toBeLessThanOrEqual(56);
          expect(r[63]).toBe(i < reports.length - 1 ? 1 : 0);
          at += r[1] ?? 0;
          ends.push(at);
        }
        // A report ends at each split point, at the code's end, and otherwise only where it is full.
        for (const point of splitAt) expect(ends).toContain(point);
        for (const [i, end] of ends.entries()) {
          if (i < ends.length - 1 && !splitAt.includes(end)) expect(reports[i]?.[1]).toBe(56);
        }
        expect(ends.at(-1)).toBe(code.length);
        const data = Buffer.concat(reports.map((r) => r.subarray(5, 5 + (r[1] ?? 0))));
        expect(hex(data)).toBe(Buffer.from(code).toString('hex'));
      }),
    );
  });
});

describe('bootKeyboardReports', () => {
  test('"Ab1!": a press and a release per character, Shift for A and !, then Enter', () => {
    const release = zeros(8);
    expect(bootKeyboardReports('Ab1!').map(hex)).toEqual([
      '0200040000000000', // A: left shift + a
      release,
      '0000050000000000', // b
      release,
      '00001e0000000000', // 1
      release,
      '02001e0000000000', // !: left shift + 1
      release,
      '0000280000000000', // Enter
      release,
    ]);
  });

  test('enter: false leaves Enter off; tab and newline type Tab and Enter', () => {
    expect(bootKeyboardReports('z', { enter: false }).map(hex)).toEqual(['00001d0000000000', zeros(8)]);
    expect(bootKeyboardReports('\t\n', { enter: false }).map(hex)).toEqual([
      '00002b0000000000',
      zeros(8),
      '0000280000000000',
      zeros(8),
    ]);
  });

  test('keypad: digits and "." on the keypad (0x59-0x63), letters on the main keys, Keypad Enter at the end', () => {
    const release = zeros(8);
    expect(bootKeyboardReports('1.0a', { keypad: true }).map(hex)).toEqual([
      '0000590000000000', // Keypad 1
      release,
      '0000630000000000', // Keypad .
      release,
      '0000620000000000', // Keypad 0
      release,
      '0000040000000000', // a: no key on the keypad
      release,
      '0000580000000000', // Keypad Enter
      release,
    ]);
    expect([...KEYPAD_LAYOUT].map(([c, k]) => `${c}${k.usage.toString(16)}`).sort()).toEqual(
      [
        '*55',
        '+57',
        '-56',
        '.63',
        '/54',
        '062',
        '159',
        '25a',
        '35b',
        '45c',
        '55d',
        '65e',
        '75f',
        '860',
        '961',
      ].sort(),
    );
  });

  test('a character outside the US layout is refused, named', () => {
    expect(() => bootKeyboardReports('ab\u00e9')).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining('U+00E9') }),
    );
    expect(() => bootKeyboardReports('\r')).toThrow(ScannerSimError);
    expect(() => bootKeyboardReports('付')).toThrow(ScannerSimError);
  });

  test('the layout table: all 95 printable ASCII characters, each on its own key and Shift state', () => {
    expect(US_LAYOUT.size).toBe(95);
    for (let c = 0x20; c <= 0x7e; c += 1) expect(US_LAYOUT.has(String.fromCharCode(c))).toBe(true);
    const keys = new Set([...US_LAYOUT.values()].map((k) => `${k.usage}:${k.shift}`));
    expect(keys.size).toBe(95);
    // Spot checks against the keyboard page of the HID Usage Tables.
    const pick = (chars: string) => [...chars].map((c) => [US_LAYOUT.get(c)?.usage, US_LAYOUT.get(c)?.shift]);
    expect(pick('aZ90) -_=+[{]}\\|;:\'"`~,<.>/?')).toEqual([
      [0x04, false],
      [0x1d, true],
      [0x26, false],
      [0x27, false],
      [0x27, true],
      [0x2c, false],
      [0x2d, false],
      [0x2d, true],
      [0x2e, false],
      [0x2e, true],
      [0x2f, false],
      [0x2f, true],
      [0x30, false],
      [0x30, true],
      [0x31, false],
      [0x31, true],
      [0x33, false],
      [0x33, true],
      [0x34, false],
      [0x34, true],
      [0x35, false],
      [0x35, true],
      [0x36, false],
      [0x36, true],
      [0x37, false],
      [0x37, true],
      [0x38, false],
      [0x38, true],
    ]);
    expect(pick('!@#$%^&*(')).toEqual(Array.from({ length: 9 }, (_, i) => [0x1e + i, true]));
  });
});

describe('keyboard faults', () => {
  test('ErrorRollOver: 0x01 in all six key slots', () => {
    expect(hex(rolloverReport())).toBe('0000010101010101');
  });

  test('a key held across two reports: a, then a+b, then release', () => {
    expect(heldKeyReports().map(hex)).toEqual(['0000040000000000', '0000040500000000', zeros(8)]);
    expect(heldKeyReports('Q', 'R').map(hex)).toEqual(['0200140000000000', '0200141500000000', zeros(8)]);
  });

  test('held keys needing different Shift states, or the same key twice, are refused', () => {
    expect(() => heldKeyReports('a', 'B')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => heldKeyReports('1', '!')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});

describe('noiseReports', () => {
  test('the same seed gives the same reports; another seed others', () => {
    expect(noiseReports(20, 7).map(hex)).toEqual(noiseReports(20, 7).map(hex));
    expect(noiseReports(20, 7).map(hex)).not.toEqual(noiseReports(20, 8).map(hex));
    expect(noiseReports(0, 1)).toEqual([]);
  });

  test('both kinds occur: a foreign report ID, and our ID with a length over 56', () => {
    const reports = noiseReports(200, 42);
    expect(reports.some((r) => r[0] !== 0x02)).toBe(true);
    expect(reports.some((r) => r[0] === 0x02 && (r[1] ?? 0) > 56)).toBe(true);
  });

  test('property: every noise report is 64 bytes and never a valid report of the expected ID', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer(),
        fc.integer({ min: 0, max: 255 }),
        (n, seed, reportId) => {
          const reports = noiseReports(n, seed, { reportId });
          expect(reports).toHaveLength(n);
          for (const r of reports) {
            expect(r).toHaveLength(64);
            expect(r[0] !== reportId || (r[1] ?? 0) > 56).toBe(true);
          }
        },
      ),
    );
  });

  test('a negative count is refused', () => {
    expect(() => noiseReports(-1, 1)).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});
