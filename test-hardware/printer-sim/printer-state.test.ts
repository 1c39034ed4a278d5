/** DLE EOT answers for each condition (field notes), and the paper-runs-out countdown. */
import { describe, expect, test } from 'vitest';
import { PrinterSimError } from './errors.ts';
import { type PrinterConditions, PrinterState } from './printer-state.ts';

/** Answers to DLE EOT 1, 2, 3, 4. */
const TABLE: [string, Partial<PrinterConditions>, number[]][] = [
  ['healthy', {}, [0x12, 0x12, 0x12, 0x12]],
  ['drawer open (pin 3 high)', { drawerOpen: true }, [0x16, 0x12, 0x12, 0x12]],
  ['offline', { offline: true }, [0x1a, 0x12, 0x12, 0x12]],
  ['paper near end', { paperNearEnd: true }, [0x12, 0x12, 0x12, 0x1e]],
  ['paper out', { paperOut: true }, [0x1a, 0x32, 0x12, 0x7e]],
  ['cover open', { coverOpen: true }, [0x1a, 0x16, 0x52, 0x12]],
  ['cutter error', { cutterError: true }, [0x12, 0x52, 0x1a, 0x12]],
  ['drawer open and paper out', { drawerOpen: true, paperOut: true }, [0x1e, 0x32, 0x12, 0x7e]],
];

describe('DLE EOT answers', () => {
  test.each(TABLE)('%s', (_name, conditions, answers) => {
    const state = new PrinterState(conditions);
    expect([1, 2, 3, 4].map((n) => state.statusAnswer(n))).toEqual(answers);
  });

  test('silent answers nothing, whatever else; n outside 1..4 is not answered', () => {
    expect(
      [1, 2, 3, 4].map((n) => new PrinterState({ silent: true, paperOut: true }).statusAnswer(n)),
    ).toEqual([undefined, undefined, undefined, undefined]);
    expect(new PrinterState().statusAnswer(5)).toBeUndefined();
  });
});

describe('print data', () => {
  test.each([
    ['paper out', { paperOut: true }],
    ['cover open', { coverOpen: true }],
    ['offline', { offline: true }],
  ])('is refused while %s', (_name, conditions) => {
    expect(new PrinterState(conditions).admit(1)).toBe(false);
  });

  test('paperOutAfterBytes: exact fit prints then runs out; a command crossing the limit is refused', () => {
    const state = new PrinterState();
    state.set({ paperOutAfterBytes: 10 });
    expect([state.admit(4), state.admit(6), state.admit(1)]).toEqual([true, true, false]);
    expect(state.snapshot).toMatchObject({ paperOut: true, paperOutAfterBytes: undefined });

    state.set({ paperOut: false, paperOutAfterBytes: 3 });
    expect([state.admit(2), state.admit(2)]).toEqual([true, false]);
    expect(state.statusAnswer(4)).toBe(0x7e);
  });

  test('paperOutAfterBytes 0 runs out at once; a bad count is a BAD_OPTION', () => {
    const state = new PrinterState();
    state.set({ paperOutAfterBytes: 0 });
    expect(state.snapshot.paperOut).toBe(true);
    expect(thrown(() => state.set({ paperOutAfterBytes: -1 }))).toMatchObject({ code: 'BAD_OPTION' });
    expect(thrown(() => state.set({ paperOutAfterBytes: 1.5 }))).toBeInstanceOf(PrinterSimError);
  });
});

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
