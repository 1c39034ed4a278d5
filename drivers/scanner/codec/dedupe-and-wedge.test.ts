import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from './dedupe.ts';
import { WedgeDetector } from './wedge-detector.ts';

const b = (s: string) => Buffer.from(s);

describe('duplicate scans', () => {
  it('passes the first read and suppresses repeats within the window, sliding', () => {
    const f = new DuplicateFilter({ windowMs: 1000 });
    expect(f.accept(b('A'), 0)).toBe(true);
    expect(f.accept(b('A'), 400)).toBe(false);
    expect(f.accept(b('A'), 1300)).toBe(false); // still held in view: 900 ms since the last read
    expect(f.accept(b('A'), 2400)).toBe(true);
  });

  it('passes a different code at once, and the first code again after it', () => {
    const f = new DuplicateFilter({ windowMs: 1000 });
    expect(f.accept(b('A'), 0)).toBe(true);
    expect(f.accept(b('B'), 10)).toBe(true);
    expect(f.accept(b('A'), 20)).toBe(true);
  });
});

/** Types `text` then Enter, `perKeyMs` apart from `start`; returns every verdict. */
function type(d: WedgeDetector, text: string, perKeyMs: number, start = 0) {
  const keys = [...text, 'Enter'];
  return keys.map((k, i) => d.key(k, start + i * perKeyMs));
}

describe('wedge scanner or person', () => {
  it('takes a burst at scanner speed ending in Enter for a scan', () => {
    const verdicts = type(new WedgeDetector(), '281234567890123456', 8);
    expect(verdicts.slice(0, -1).every((v) => v.kind === 'pending')).toBe(true);
    expect(verdicts.at(-1)).toEqual({ kind: 'scan', data: '281234567890123456' });
  });

  it('takes 30 ms per key on average as a scan, 31 ms as typing', () => {
    expect(type(new WedgeDetector(), '12345', 30).at(-1)).toEqual({ kind: 'scan', data: '12345' });
    expect(type(new WedgeDetector(), '12345', 31).at(-1)).toEqual({
      kind: 'typing',
      keys: ['1', '2', '3', '4', '5', 'Enter'],
    });
  });

  it('hands a person typing their keys back: a pause releases them', () => {
    const d = new WedgeDetector();
    expect(d.key('1', 0)).toEqual({ kind: 'pending' });
    expect(d.idle(50)).toEqual([]);
    expect(d.idle(150)).toEqual(['1']);
    expect(d.key('2', 300)).toEqual({ kind: 'pending' });
    expect(d.key('3', 500)).toEqual({ kind: 'typing', keys: ['2'] });
  });

  it('does not take a short fast burst for a scan, nor a non-character key', () => {
    expect(type(new WedgeDetector(), '12', 5).at(-1)).toEqual({ kind: 'typing', keys: ['1', '2', 'Enter'] });
    const d = new WedgeDetector();
    d.key('1', 0);
    expect(d.key('Backspace', 5)).toEqual({ kind: 'typing', keys: ['1', 'Backspace'] });
  });

  it('finds a scan right after typing that paused', () => {
    const d = new WedgeDetector();
    d.key('9', 0);
    const verdicts = type(d, '6901234567892', 7, 1000);
    expect(verdicts[0]).toEqual({ kind: 'typing', keys: ['9'] });
    expect(verdicts.at(-1)).toEqual({ kind: 'scan', data: '6901234567892' });
  });
});

describe('wedge detector properties', () => {
  it('never throws, and every scan is exactly the characters of one burst (property)', async () => {
    const key = fc.oneof(
      fc.constantFrom('Enter', 'Backspace', 'Shift'),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      // `size: 'max'`: fast-check's default size keeps arrays to about 10 items, too few for a burst
      // long enough to be a scan; gaps are mostly a scanner's, some a person's.
      fc.property(
        fc.array(fc.record({ key, gap: fc.oneof(fc.nat(12), fc.nat(150)) }), { maxLength: 200, size: 'max' }),
        (presses) => {
          const d = new WedgeDetector();
          let at = 0;
          let typedSinceEnter = '';
          for (const { key: k, gap } of presses) {
            at += gap;
            const v = d.key(k, at);
            if (v.kind === 'scan') {
              // A scan is made of characters pressed since the last Enter, in order, ending just now.
              expect(typedSinceEnter.endsWith(v.data)).toBe(true);
              expect(v.data.length).toBeGreaterThanOrEqual(4);
            }
            typedSinceEnter = k === 'Enter' ? '' : k.length === 1 ? typedSinceEnter + k : '';
          }
        },
      ),
    );
  });
});
