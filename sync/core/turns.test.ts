import { describe, expect, it } from 'vitest';
import { LockTurns } from './turns.ts';

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LockTurns', () => {
  it("a later upload starts only once each earlier one of the terminal's has its lock", async () => {
    const turns = new LockTurns();
    const log: string[] = [];
    const earlierLocks = gate();
    const earlier = turns.run('sp-a', 1, async (locked) => {
      await earlierLocks.opened;
      log.push('earlier locked');
      locked();
      await tick();
      log.push('earlier done');
    });
    const later = turns.run('sp-a', 1001, async (locked) => {
      log.push('later starts');
      locked();
    });
    const otherTerminal = turns.run('sp-b', 5001, async () => {
      log.push('other terminal starts');
    });
    await tick();
    expect(log).toEqual(['other terminal starts']);
    earlierLocks.open();
    await Promise.all([earlier, later, otherTerminal]);
    // The later one went on while the earlier one still held the lock (its commit still to come).
    expect(log).toEqual(['other terminal starts', 'earlier locked', 'later starts', 'earlier done']);
  });

  it('an earlier upload that fails before its lock lets the later ones go', async () => {
    const turns = new LockTurns();
    const fails = gate();
    const earlier = turns.run('sp-a', 1, async () => {
      await fails.opened;
      throw new Error('the database went away');
    });
    let started = false;
    const later = turns.run('sp-a', 2, async () => {
      started = true;
      return 'answered';
    });
    await tick();
    expect(started).toBe(false);
    fails.open();
    await expect(earlier).rejects.toThrow('the database went away');
    await expect(later).resolves.toBe('answered');
  });

  it('goes ahead after the longest wait when an earlier upload never gets to the lock', async () => {
    const turns = new LockTurns(20);
    const stuck = gate();
    const earlier = turns.run('sp-a', 1, () => stuck.opened);
    await expect(turns.run('sp-a', 2, async () => 'answered')).resolves.toBe('answered');
    stuck.open();
    await earlier;
  });

  it('waits for no upload that came after it, nor for one at the same seq, nor for an upload of no payments', async () => {
    const turns = new LockTurns();
    const held = gate();
    const log: string[] = [];
    const late = turns.run('sp-a', 2001, async () => {
      await held.opened;
    });
    const early = turns.run('sp-a', 1, async () => {
      log.push('seq 1');
    });
    const again = turns.run('sp-a', 2001, async () => {
      log.push('seq 2001 again');
    });
    const headOnly = turns.run('sp-a', undefined, async () => {
      log.push('head only');
    });
    await Promise.all([early, again, headOnly]);
    expect(log.sort()).toEqual(['head only', 'seq 1', 'seq 2001 again']);
    held.open();
    await late;
  });
});
