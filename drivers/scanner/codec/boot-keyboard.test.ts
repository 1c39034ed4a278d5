import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BootKeyboardDecoder } from './boot-keyboard.ts';

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
    expect(feed([r(0, 0x1e), UP, r(0, 0x3a), UP, r(0, 0x28), UP])).toEqual([{ text: '1', spoiled: true }]);
    expect(feed([r(0x01, 0x06), UP, r(0, 0x28), UP])).toEqual([{ text: '', spoiled: true }]);
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

  it('never throws, and a clean code contains only characters of the layout (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 10 }), { maxLength: 60 }), (reports) => {
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
