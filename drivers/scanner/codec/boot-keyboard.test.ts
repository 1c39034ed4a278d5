import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootKeyboardReports, rolloverReport } from '../../../test-hardware/scanner-sim/hid-reports.ts';
import { BootKeyboardDecoder, type KeyboardScan, keyboardScanFault } from './boot-keyboard.ts';

/** Hand-written boot-keyboard reports: [modifiers, 0, keys...]. */
const r = (modifiers: number, ...keys: number[]) =>
  Buffer.from([modifiers, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8));
const UP = r(0);
const SHIFT = 0x02;

function feed(reports: Buffer[]) {
  const d = new BootKeyboardDecoder();
  return reports.flatMap((x) => d.push(x));
}

describe('boot-keyboard reports', () => {
  it('types digits and ends at Enter', () => {
    // "28" then Enter: 2 = 0x1f, 8 = 0x25, Enter = 0x28.
    expect(feed([r(0, 0x1f), UP, r(0, 0x25), UP, r(0, 0x28), UP])).toEqual([{ text: '28', spoiled: false }]);
  });

  it('applies shift (either side) for capitals and symbols', () => {
    // "Ab1!" : shift+a, b, 1, shift+1 (right shift).
    const out = feed([r(SHIFT, 0x04), UP, r(0, 0x05), UP, r(0, 0x1e), UP, r(0x20, 0x1e), UP, r(0, 0x28), UP]);
    expect(out).toEqual([{ text: 'Ab1!', spoiled: false }]);
  });

  it('types a key held across reports once (rollover), and a repeated key twice', () => {
    // a down, a+b down, b down, up, b down, up, Enter → "abb".
    const out = feed([r(0, 0x04), r(0, 0x04, 0x05), r(0, 0x05), UP, r(0, 0x05), UP, r(0, 0x28), UP]);
    expect(out).toEqual([{ text: 'abb', spoiled: false }]);
  });

  it('ignores ErrorRollOver reports without losing the keys held', () => {
    const rollover = r(0, 1, 1, 1, 1, 1, 1);
    const out = feed([r(0, 0x1e), rollover, r(0, 0x1e), UP, r(0, 0x28), UP]);
    expect(out).toEqual([{ text: '1', spoiled: false }]);
  });

  it('marks a code with a key that has no character (F1, Ctrl+C) as spoiled', () => {
    expect(feed([r(0, 0x1e), UP, r(0, 0x3a), UP, r(0, 0x28), UP])).toEqual([
      { text: '1', spoiled: true, unmappedKey: true },
    ]);
    expect(feed([r(0x01, 0x06), UP, r(0, 0x28), UP])).toEqual([
      { text: '', spoiled: true, unmappedKey: true },
    ]);
    // The next code is clean again.
    const d = new BootKeyboardDecoder();
    d.push(r(0, 0x3a));
    d.push(r(0, 0x28));
    expect([r(0, 0x1e), UP, r(0, 0x28)].flatMap((x) => d.push(x))).toEqual([{ text: '1', spoiled: false }]);
  });

  it('emits nothing for Enter alone and handles keypad digits and keypad Enter', () => {
    expect(feed([r(0, 0x28), UP])).toEqual([]);
    expect(feed([r(0, 0x59), UP, r(0, 0x62), UP, r(0, 0x58), UP])).toEqual([{ text: '10', spoiled: false }]);
  });

  it('decodes the keypad\'s "." and operators (a scanner in keypad emulation)', () => {
    // Keypad 1 (0x59), Keypad . (0x63), Keypad 5 (0x5d), then Keypad / * - + (0x54-0x57), Keypad Enter.
    const keys = [0x59, 0x63, 0x5d, 0x54, 0x55, 0x56, 0x57];
    expect(feed([...keys.flatMap((k) => [r(0, k), UP]), r(0, 0x58), UP])).toEqual([
      { text: '1.5/*-+', spoiled: false },
    ]);
    // An amount typed on the keypad, as the generator types it.
    expect(feed(bootKeyboardReports('12.50', { keypad: true }))).toEqual([{ text: '12.50', spoiled: false }]);
  });

  it('marks a code longer than its limit as spoiled rather than passing on a part of it', () => {
    const d = new BootKeyboardDecoder({ maxChars: 8 });
    expect(bootKeyboardReports('281234567890123456').flatMap((x) => d.push(x))).toEqual([
      { text: '28123456', spoiled: true, overlong: { limit: 8, dropped: 10 } },
    ]);
    // 8 characters fit; the next code is whole again.
    expect(bootKeyboardReports('69012345').flatMap((x) => d.push(x))).toEqual([
      { text: '69012345', spoiled: false },
    ]);
  });

  it('says why a code was spoiled: too long, or a key without a character, each in its own words', () => {
    const scan = (reports: Buffer[], maxChars = 8) => {
      const d = new BootKeyboardDecoder({ maxChars });
      const [first] = reports.flatMap((x) => d.push(x));
      return first as KeyboardScan;
    };
    const overlong = scan(bootKeyboardReports('281234567890123456'));
    expect(keyboardScanFault(overlong)).toBe(
      'the code was longer than the limit of 8 characters (10 more were typed), so it was dropped: check the scanner sends Enter after each code',
    );
    const f1 = scan([r(0, 0x1e), UP, r(0, 0x3a), UP, r(0, 0x28), UP]);
    expect(f1).toEqual({ text: '1', spoiled: true, unmappedKey: true });
    expect(keyboardScanFault(f1)).toMatch(/^keys without a character .*US keyboard layout$/);
    expect(keyboardScanFault(f1)).not.toMatch(/longer/);
    const both = scan([...bootKeyboardReports('1234', { enter: false }), r(0, 0x3a), UP, r(0, 0x28), UP], 2);
    expect(keyboardScanFault(both)).toMatch(
      /longer than the limit of 2 characters \(2 more.*; and keys without/,
    );
    expect(keyboardScanFault({ text: '28', spoiled: false })).toBeUndefined();
  });

  it('emits every code sent, and nothing that was not sent unless it is marked spoiled (property)', () => {
    // A character of the US layout, as the generator types it; Tab included (some codes hold one).
    const char = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constant('\t'),
    );
    const code = fc.record({
      text: fc.string({ unit: char, minLength: 1, maxLength: 40, size: 'max' }),
      // Per character: typed on the keypad when it has the key (keypad emulation), or not.
      keypad: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      keypadEnter: fc.boolean(),
      rightShift: fc.boolean(),
      // ErrorRollOver reports inserted after these report positions: they change nothing.
      rollover: fc.array(fc.nat(), { maxLength: 3 }),
      // A key without a character (F1-F12) typed at this report position: the code is spoiled.
      stray: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0x3a, max: 0x45 })), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(code, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 48 }),
        (codes, maxChars) => {
          const d = new BootKeyboardDecoder({ maxChars });
          const out: { text: string; spoiled: boolean }[] = [];
          for (const c of codes) {
            const reports = [...c.text].flatMap((ch, i) =>
              bootKeyboardReports(ch, { enter: false, keypad: c.keypad[i] === true }),
            );
            if (c.rightShift) for (const x of reports) if (x[0] === 0x02) x[0] = 0x20;
            for (const at of c.rollover) reports.splice(at % (reports.length + 1), 0, rolloverReport());
            if (c.stray) reports.splice(c.stray[0] % (reports.length + 1), 0, r(0, c.stray[1]), UP);
            reports.push(...bootKeyboardReports('', { keypad: c.keypadEnter }));
            for (const x of reports) out.push(...d.push(x));
          }
          // Never a code that was not sent, unless marked spoiled.
          const sent = codes.map((c) => c.text);
          for (const scan of out) if (!scan.spoiled) expect(sent).toContain(scan.text);
          // And each code exactly once, in order: whole, or spoiled when a stray key or its length
          // (over maxChars) damaged it.
          expect(out.map((scan) => (scan.spoiled ? { spoiled: true } : scan))).toEqual(
            codes.map((c) =>
              c.stray || c.text.length > maxChars ? { spoiled: true } : { text: c.text, spoiled: false },
            ),
          );
        },
      ),
    );
  });

  it('never throws, and a clean code contains only characters of the layout (property)', () => {
    fc.assert(
      // `size: 'max'`: fast-check's default size keeps arrays to about 10 items, one or two keys.
      fc.property(fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 200, size: 'max' }), (reports) => {
        const d = new BootKeyboardDecoder();
        for (const x of reports) {
          for (const scan of d.push(x)) {
            if (!scan.spoiled) expect(scan.text).toMatch(/^[\t -~]*$/);
          }
        }
      }),
    );
  });
});
