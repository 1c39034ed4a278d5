import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayWidth, pairLines, wrap } from './document.ts';

describe('text layout', () => {
  it('counts Chinese as two columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('离线交易')).toBe(8);
    expect(displayWidth('￥12.50')).toBe(7);
  });

  it('wraps at spaces, and between Chinese characters', () => {
    expect(wrap('Lao Wang Noodles and Dumplings', 12)).toEqual(['Lao Wang', 'Noodles and', 'Dumplings']);
    expect(wrap('离线交易待确认离线交易', 8)).toEqual(['离线交易', '待确认离', '线交易']);
    expect(wrap('abcdefghijklmnop', 5)).toEqual(['abcde', 'fghij', 'klmno', 'p']);
  });

  it('never makes a line wider than the paper', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', ' ', '离', 'W', '，') }),
        fc.integer({ min: 2, max: 48 }),
        (text, cols) => {
          for (const line of wrap(text, cols)) expect(displayWidth(line)).toBeLessThanOrEqual(cols);
        },
      ),
    );
  });

  it('puts a pair on one line, or wraps the label and keeps the value right', () => {
    expect(pairLines('金额', '￥12.50', 20)).toEqual(['金额         ￥12.50']);
    const lines = pairLines('A very long label that needs wrapping', '99.00', 20);
    expect(lines.every((l) => displayWidth(l) <= 20)).toBe(true);
    expect(lines.at(-1)?.endsWith('99.00')).toBe(true);
  });
});
