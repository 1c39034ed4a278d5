import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_CLOCK_FILE, CoreClock, readBootClock } from './core-clock.ts';

const MIN = 60_000;

/** A terminal's wall clock and its time since boot, moved by hand. */
function clocks() {
  const c = { wallMs: Date.parse('2026-11-25T09:00:00.000Z'), sinceBootMs: 3_600_000, bootId: 'boot-1' };
  return {
    c,
    /** Real time passes: both clocks move. */
    pass(ms: number) {
      c.wallMs += ms;
      c.sinceBootMs += ms;
    },
    options: {
      localNow: () => c.wallMs,
      bootClock: () => ({ bootId: c.bootId, sinceBootMs: c.sinceBootMs }),
      mac: (hash: Buffer) => crypto.createHmac('sha256', 'the terminal key').update(hash).digest(),
    },
  };
}

describe("the core's clock as last seen", () => {
  let dataDir: string;
  const log = pino({ level: 'silent' });
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-clock-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('knows no offset before the core was seen', () => {
    const t = clocks();
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBeUndefined();
  });

  it('keeps the offset learned across processes, and sees through a step of the wall clock since', () => {
    const t = clocks();
    // The terminal's clock is ten minutes slow when it last reaches the core.
    new CoreClock({ dataDir, log, ...t.options }).learned(10 * MIN, t.c.wallMs);
    t.pass(2 * 3_600_000);
    // Another process (a `suanpan pay` two hours later, offline): the same offset holds.
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBe(10 * MIN);
    // The clock is set right (+10 min) and a minute passes: the offset is 0 from then on.
    t.c.wallMs += 10 * MIN;
    t.pass(MIN);
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBe(0);
  });

  it('knows no offset in another boot: the clock may have been set in between', () => {
    const t = clocks();
    new CoreClock({ dataDir, log, ...t.options }).learned(10 * MIN, t.c.wallMs);
    t.c.bootId = 'boot-2';
    t.c.sinceBootMs = 30_000;
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBeUndefined();
  });

  it('records again only what is news: a new boot, or a change beyond the Date header resolution', () => {
    const t = clocks();
    const clock = new CoreClock({ dataDir, log, ...t.options });
    const file = path.join(dataDir, CORE_CLOCK_FILE);
    clock.learned(10 * MIN, t.c.wallMs);
    const first = fs.readFileSync(file, 'utf8');
    t.pass(5_000);
    clock.learned(10 * MIN + 800, t.c.wallMs); // noise
    expect(fs.readFileSync(file, 'utf8')).toBe(first);
    clock.learned(10 * MIN + 5_000, t.c.wallMs); // the core's clock or ours moved
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBe(10 * MIN + 5_000);
    t.c.bootId = 'boot-2';
    clock.learned(10 * MIN + 5_000, t.c.wallMs);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).bootId).toBe('boot-2');
  });

  it('a record changed without the key counts as none: a stale code is not moved back into its 60 s', () => {
    const t = clocks();
    new CoreClock({ dataDir, log, ...t.options }).learned(0, t.c.wallMs);
    const file = path.join(dataDir, CORE_CLOCK_FILE);
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBe(0);
    // Ten minutes taken off the core's clock: payments would be judged as captured ten minutes early.
    fs.writeFileSync(file, JSON.stringify({ ...record, coreMs: record.coreMs - 10 * MIN }));
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBeUndefined();
    // Another terminal's key does not check out either.
    const other = {
      ...t.options,
      mac: (h: Buffer) => crypto.createHmac('sha256', 'another key').update(h).digest(),
    };
    fs.writeFileSync(file, JSON.stringify(record));
    expect(new CoreClock({ dataDir, log, ...other }).offsetNow()).toBeUndefined();
  });

  it('a damaged record counts as none and is written anew at the next contact', () => {
    const t = clocks();
    fs.writeFileSync(path.join(dataDir, CORE_CLOCK_FILE), '{"coreMs": 12');
    const clock = new CoreClock({ dataDir, log, ...t.options });
    expect(clock.offsetNow()).toBeUndefined();
    clock.learned(-MIN, t.c.wallMs);
    expect(new CoreClock({ dataDir, log, ...t.options }).offsetNow()).toBe(-MIN);
  });

  it('a record that cannot be written is logged, and nothing else fails', () => {
    const t = clocks();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const clock = new CoreClock({ dataDir: path.join(dataDir, 'gone'), log: logger, ...t.options });
    clock.learned(MIN, t.c.wallMs);
    expect(clock.offsetNow()).toBeUndefined();
    expect(lines.join('')).toContain('could not be recorded');
  });

  it('reads this boot from /proc on Linux', () => {
    const boot = readBootClock();
    if (process.platform !== 'linux') return expect(boot).toBeNull();
    expect(boot?.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(boot?.sinceBootMs).toBeGreaterThan(0);
  });
});
