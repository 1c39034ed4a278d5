/**
 * What this terminal knows of the core's clock, kept in `<dataDir>/core-clock.json` across processes
 * and restarts, so that a payment captured offline records the clock offset that held when it was
 * captured (CaptureInput.clockOffsetMs).
 *
 * Why: the core judges an offline payment's code by its capture time corrected by the terminal's
 * clock offset. The offset it measures at sync is today's; a clock set right between the capture and
 * the sync (NTP back, a technician fixing the date) would move every stored capture by the whole
 * correction, and good payments would come back `declined_after_sync`, "payment code expired".
 *
 * How: at each contact, the offset learned from the core's Date header is recorded with the local
 * wall clock and the time since boot (/proc/uptime, which counts a suspend, unlike Node's monotonic
 * clock) at that moment. At capture, in the same boot, the wall clock's move since the record minus
 * the time that really passed is any step the clock took since; the offset then is the recorded one
 * less that step. In another boot (or where /proc can't tell) the offset at capture is not known and
 * none is recorded: the core uses the offset it measures at sync, as before.
 *
 * The offset goes into each payment's signed `captured` entry and decides whether the core takes an
 * offline code, so the file carries a MAC under the terminal's key (as journal entries do): someone
 * who can write the data folder but has no key can't move a stale code back into its 60 s.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { readJsonFile, writeJsonFileAtomically } from './json-file.ts';

export const CORE_CLOCK_FILE = 'core-clock.json';

/**
 * An offset learned that differs from the recorded one by more than this is recorded anew. The
 * Date header has a resolution of a second, so a smaller change is noise (and would cost a write of
 * the file on every online payment).
 */
const RECORD_AGAIN_MS = 1_000;

const Sample = z
  .object({
    /** The core's clock at `localMs` (ms since the epoch). */
    coreMs: z.number().int(),
    /** This terminal's wall clock then. */
    localMs: z.number().int(),
    /** Which boot, and the time since it then (ms): where the wall clock stepped since shows. */
    bootId: z.string().min(1),
    sinceBootMs: z.number().int().min(0),
  })
  .strict();
type Sample = z.infer<typeof Sample>;
const SignedSample = Sample.extend({ mac: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

/** This boot's id and the time since boot, suspend included; null where /proc can't tell. */
export interface BootClock {
  bootId: string;
  sinceBootMs: number;
}

export function readBootClock(): BootClock | null {
  try {
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const uptimeS = Number.parseFloat(fs.readFileSync('/proc/uptime', 'utf8'));
    if (!bootId || !Number.isFinite(uptimeS)) return null;
    return { bootId, sinceBootMs: Math.round(uptimeS * 1000) };
  } catch {
    return null;
  }
}

export interface CoreClockOptions {
  dataDir: string;
  log: Logger;
  /** The terminal key's MAC over a 32-byte hash (TerminalKey.mac). */
  mac: (hash: Buffer) => Buffer;
  /** The terminal's wall clock (tests). */
  localNow?: () => number;
  /** Boot id and time since boot (tests). */
  bootClock?: () => BootClock | null;
}

export class CoreClock {
  private sample: Sample | null;
  private readonly file: string;

  constructor(private readonly options: CoreClockOptions) {
    this.file = path.join(options.dataDir, CORE_CLOCK_FILE);
    this.sample = this.read();
  }

  /**
   * An offset (core clock − terminal clock) learned from a core's answer at local time `localMs`.
   * Recorded when it is news: the first in this boot, or a change beyond the Date header's noise. A
   * record that can't be written is logged and skipped: no payment depends on it.
   */
  learned(offsetMs: number, localMs: number): void {
    const boot = this.bootClock();
    if (!boot) return;
    const s = this.sample;
    if (
      s &&
      s.bootId === boot.bootId &&
      Math.abs(this.offsetAt(s, localMs, boot) - offsetMs) <= RECORD_AGAIN_MS
    )
      return;
    const sample: Sample = {
      coreMs: Math.round(localMs + offsetMs),
      localMs: Math.round(localMs),
      bootId: boot.bootId,
      sinceBootMs: boot.sinceBootMs,
    };
    try {
      writeJsonFileAtomically(this.file, { ...sample, mac: this.macOf(sample) });
      this.sample = sample;
    } catch (err) {
      this.options.log.warn(
        { file: this.file, err: (err as Error).message },
        "the core's clock could not be recorded; payments taken offline are judged by the offset the core measures at sync",
      );
    }
  }

  /** The offset that holds now, for a payment being captured; undefined when not known. */
  offsetNow(): number | undefined {
    const s = this.sample;
    const boot = this.bootClock();
    if (!s || !boot || boot.bootId !== s.bootId || boot.sinceBootMs < s.sinceBootMs) return undefined;
    return this.offsetAt(s, this.localNow(), boot);
  }

  /** The recorded offset less the step the wall clock took since the sample (same boot). */
  private offsetAt(s: Sample, localMs: number, boot: BootClock): number {
    const step = localMs - s.localMs - (boot.sinceBootMs - s.sinceBootMs);
    return Math.round(s.coreMs - s.localMs - step);
  }

  /** Damaged, or changed by anyone without the key: as if never recorded (written anew at the next contact). */
  private read(): Sample | null {
    let parsed: ReturnType<typeof SignedSample.safeParse>;
    try {
      parsed = SignedSample.safeParse(readJsonFile(this.file));
    } catch {
      return null;
    }
    if (!parsed.success) return null;
    const { mac, ...sample } = parsed.data;
    const expected = this.macOf(sample);
    if (!crypto.timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(expected, 'hex'))) {
      this.options.log.warn({ file: this.file }, "the core's clock as recorded does not check out: ignored");
      return null;
    }
    return sample;
  }

  private macOf(s: Sample): string {
    const text = `suanpan-core-clock/1\n${s.coreMs}\n${s.localMs}\n${s.bootId}\n${s.sinceBootMs}`;
    return this.options.mac(crypto.createHash('sha256').update(text).digest()).toString('hex');
  }

  private bootClock(): BootClock | null {
    return (this.options.bootClock ?? readBootClock)();
  }

  private localNow(): number {
    return (this.options.localNow ?? Date.now)();
  }
}
