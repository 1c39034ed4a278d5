import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_GAP_MS } from '../../../../drivers/scanner/codec/wedge-detector.ts';
import { IDLE_CHECK_MS, type KeyPress, type KeyRoute, typeIntoField, WedgeKeys } from './wedge-keys.ts';

const press = (key: string, at: number, plain = true): KeyPress => ({ key, at, plain });

/**
 * What a screen ends up with after `presses`: the keys that reach it (released ones and the events
 * that pass, in order) and the scans; the idle check runs as the hook's timer would.
 */
function replay(presses: KeyPress[]) {
  const keys = new WedgeKeys();
  /** What the screen and the host got, in order. */
  const stream: (string | { scan: string })[] = [];
  const routes: KeyRoute[] = [];
  let idleAt: number | null = null;
  for (const p of presses) {
    if (idleAt !== null && idleAt <= p.at) stream.push(...keys.idle(idleAt));
    const route = keys.keydown(p);
    routes.push(route);
    stream.push(...route.release);
    if (!route.hold) stream.push(p.key);
    if (route.scan !== null) stream.push({ scan: route.scan });
    idleAt = keys.holding ? p.at + IDLE_CHECK_MS : null;
  }
  if (idleAt !== null) stream.push(...keys.idle(idleAt));
  const typed = stream.filter((item): item is string => typeof item === 'string');
  const scans = stream.flatMap((item) => (typeof item === 'string' ? [] : [item.scan]));
  return { stream, typed, scans, routes, holding: keys.holding };
}

/** `text` then Enter, one key every `perKeyMs`. */
function typeAt(text: string, perKeyMs: number, start = 0): KeyPress[] {
  return [...text, 'Enter'].map((key, i) => press(key, start + i * perKeyMs));
}

describe("the kiosk's wedge glue", () => {
  test('a payment code at scanner speed is one scan: every key held, nothing typed', () => {
    const { typed, scans, routes } = replay(typeAt('281234567890123456', 8));
    expect(scans).toEqual(['281234567890123456']);
    expect(typed).toEqual([]);
    expect(routes.every((r) => r.hold)).toBe(true);
    expect(routes.at(-1)).toEqual({ hold: true, release: [], scan: '281234567890123456' });
  });

  test("a person's digits are held, then released by the idle check within the gap", () => {
    const keys = new WedgeKeys();
    expect(keys.keydown(press('1', 1000))).toEqual({ hold: true, release: [], scan: null });
    expect(keys.holding).toBe(true);
    expect(keys.idle(1000 + DEFAULT_MAX_GAP_MS)).toEqual([]);
    expect(keys.idle(1000 + IDLE_CHECK_MS)).toEqual(['1']);
    expect(keys.holding).toBe(false);
    expect(IDLE_CHECK_MS).toBeGreaterThan(DEFAULT_MAX_GAP_MS);
    expect(IDLE_CHECK_MS).toBeLessThan(DEFAULT_MAX_GAP_MS + 20);
  });

  test('typing at 150 ms a key: every key reaches the screen, in order, and Enter passes', () => {
    const { typed, scans, routes } = replay(typeAt('12.50', 150));
    expect(scans).toEqual([]);
    expect(typed).toEqual(['1', '2', '.', '5', '0', 'Enter']);
    expect(routes.at(-1)).toEqual({ hold: false, release: [], scan: null });
  });

  test('a short fast burst then Enter: the keys are released before the Enter, which passes', () => {
    const route = replay(typeAt('8.8', 20)).routes.at(-1);
    expect(route).toEqual({ hold: false, release: ['8', '.', '8'], scan: null });
    expect(replay(typeAt('8.8', 20)).typed).toEqual(['8', '.', '8', 'Enter']);
  });

  test('a burst too slow on average for a scanner is typing, Enter included', () => {
    expect(replay(typeAt('1234', 31)).typed).toEqual(['1', '2', '3', '4', 'Enter']);
  });

  test('a key after a pause releases what came before and is held itself', () => {
    const keys = new WedgeKeys();
    keys.keydown(press('9', 0));
    expect(keys.keydown(press('1', 500))).toEqual({ hold: true, release: ['9'], scan: null });
    expect(keys.holding).toBe(true);
  });

  test('Backspace, Escape and Tab pass, after the held keys', () => {
    for (const key of ['Backspace', 'Escape', 'Tab', 'Delete']) {
      const keys = new WedgeKeys();
      keys.keydown(press('5', 0));
      expect(keys.keydown(press(key, 10))).toEqual({ hold: false, release: ['5'], scan: null });
      expect(keys.holding).toBe(false);
    }
  });

  test("Shift alone is ignored (a scanner's capitals), so a mixed-case burst is still a scan", () => {
    const code = 'WIFI:S:Shop;;';
    const presses: KeyPress[] = [];
    const later = (ms: number) => (presses.at(-1)?.at ?? 0) + ms;
    for (const c of code) {
      if (c !== c.toLowerCase() || ':;'.includes(c)) presses.push(press('Shift', later(2)));
      presses.push(press(c, later(6)));
    }
    presses.push(press('Enter', later(6)));
    const { scans, typed, routes } = replay(presses);
    expect(scans).toEqual([code]);
    expect(typed.filter((k) => k !== 'Shift')).toEqual([]);
    expect(routes.filter((_, i) => presses[i]?.key === 'Shift').every((r) => !r.hold)).toBe(true);
  });

  test('a key with Control, Alt or Meta, or a repeat, is a person: the burst is released, the key passes', () => {
    const keys = new WedgeKeys();
    keys.keydown(press('1', 0));
    keys.keydown(press('2', 5));
    expect(keys.keydown(press('v', 10, false))).toEqual({ hold: false, release: ['1', '2'], scan: null });
    expect(keys.holding).toBe(false);
    // Nothing held: nothing to release, and the detector starts afresh.
    expect(keys.keydown(press('a', 20, false))).toEqual({ hold: false, release: [], scan: null });
  });

  test('release() gives everything held (a touch on Charge), and the next burst starts afresh', () => {
    const keys = new WedgeKeys();
    keys.keydown(press('1', 0));
    keys.keydown(press('2', 5));
    expect(keys.release()).toEqual(['1', '2']);
    expect(keys.holding).toBe(false);
    expect(keys.release()).toEqual([]);
    const later = typeAt('281234567890123456', 8, 10);
    expect(later.map((p) => keys.keydown(p)).at(-1)?.scan).toBe('281234567890123456');
  });

  test('a space presses the focused button as ever, unless it is inside a burst', () => {
    const keys = new WedgeKeys();
    expect(keys.keydown(press(' ', 0))).toEqual({ hold: false, release: [], scan: null });
    expect(keys.holding).toBe(false);
    const { scans } = replay(typeAt('WIFI:S:My Shop;;', 6));
    expect(scans).toEqual(['WIFI:S:My Shop;;']);
  });

  test('a lone Enter passes: it is the screen’s (charge, submit, press the focused button)', () => {
    expect(new WedgeKeys().keydown(press('Enter', 0))).toEqual({ hold: false, release: [], scan: null });
  });

  test('every key pressed reaches the screen or is in a scan, once and in order (property)', () => {
    const key = fc.oneof(
      fc.constantFrom('Enter', 'Backspace', 'Shift', 'Tab'),
      fc.constantFrom(...'0123456789.abcXYZ: '.split('')),
    );
    const step = fc.record({
      key,
      gap: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 400 })),
      plain: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const presses: KeyPress[] = [];
        for (const s of steps) presses.push(press(s.key, (presses.at(-1)?.at ?? 0) + s.gap, s.plain));
        const { stream, holding } = replay(presses);
        expect(holding).toBe(false);
        // A scan stands for its characters and the Enter that ended it. Shift alone always passes
        // (its effect is in the next key's `key` already), so it may come before a held key.
        const notShift = (k: string) => k !== 'Shift';
        const expanded = stream.flatMap((item) =>
          typeof item === 'string' ? [item] : [...item.scan, 'Enter'],
        );
        expect(expanded.filter(notShift)).toEqual(presses.map((p) => p.key).filter(notShift));
        expect(expanded.length).toBe(presses.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('typing released keys into a text field', () => {
  const field = (value: string, start: number | null = value.length, end = start, maxLength = -1) => ({
    value,
    selectionStart: start,
    selectionEnd: end,
    maxLength,
  });

  test('at the caret, over the selection', () => {
    expect(typeIntoField(field(''), '2')).toEqual({ value: '2', caret: 1, inserted: '2' });
    expect(typeIntoField(field('2812'), '9')).toEqual({ value: '28129', caret: 5, inserted: '9' });
    expect(typeIntoField(field('2812', 2), '9')).toEqual({ value: '28912', caret: 3, inserted: '9' });
    expect(typeIntoField(field('2812', 1, 3), '0')).toEqual({ value: '202', caret: 2, inserted: '0' });
  });

  test('never past maxLength, as the browser does', () => {
    expect(typeIntoField(field('1234', 4, 4, 4), '5')).toEqual({ value: '1234', caret: 4, inserted: '' });
    expect(typeIntoField(field('1234', 0, 4, 4), '5')).toEqual({ value: '5', caret: 1, inserted: '5' });
  });

  test('a field without a selection (or a stale one) takes the key at the end', () => {
    expect(typeIntoField(field('12', null), '3')).toEqual({ value: '123', caret: 3, inserted: '3' });
    expect(typeIntoField(field('12', 9, 9), '3')).toEqual({ value: '123', caret: 3, inserted: '3' });
  });
});
