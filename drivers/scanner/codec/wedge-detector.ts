/**
 * Tells a keyboard-wedge scanner from a person typing, by timing alone, for keystrokes the
 * operating system delivers to the kiosk window (a wedge scanner is a keyboard to the OS, and
 * node-hid can't open one on Windows or macOS). Scanners type about 7–8 ms per key, people slower
 * than 100 ms (FIELD-NOTES.md, "Scanners"); a burst that ends with Enter and averaged at most
 * {@link DEFAULT_MAX_AVERAGE_MS} per key is a scan.
 *
 * Pure and free of Node and DOM imports so the kiosk renderer and the host share it: feed it
 * `{key, at}` for every key (`key` a single character, or 'Enter'), and act on what it returns.
 */

export const DEFAULT_MAX_AVERAGE_MS = 30;
/** Shorter bursts (a fast typist's "12" + Enter) are not taken for scans. */
export const DEFAULT_MIN_LENGTH = 4;
/** A pause this long inside a burst means a person: the buffer starts again from the next key. */
export const DEFAULT_MAX_GAP_MS = 100;

export type WedgeVerdict =
  /** Part of a burst that may still be a scan: hold the key back for now. */
  | { kind: 'pending' }
  /** A whole scan: the burst's characters, without the Enter. */
  | { kind: 'scan'; data: string }
  /** Typing: these keys (the held-back burst and this key) belong to whatever has focus. */
  | { kind: 'typing'; keys: string[] };

export interface WedgeDetectorOptions {
  maxAverageMs?: number;
  minLength?: number;
  maxGapMs?: number;
}

export class WedgeDetector {
  private keys: string[] = [];
  private times: number[] = [];
  private readonly maxAverageMs: number;
  private readonly minLength: number;
  private readonly maxGapMs: number;

  constructor(options: WedgeDetectorOptions = {}) {
    this.maxAverageMs = options.maxAverageMs ?? DEFAULT_MAX_AVERAGE_MS;
    this.minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
    this.maxGapMs = options.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  }

  key(key: string, at: number): WedgeVerdict {
    // A pause longer than a scanner ever makes: what was held back was typed by a person. The new
    // key starts a fresh burst (and is held back with it when it is a character).
    const typed = this.idle(at);
    const verdict = this.next(key, at);
    if (typed.length === 0) return verdict;
    return { kind: 'typing', keys: verdict.kind === 'typing' ? [...typed, ...verdict.keys] : typed };
  }

  private next(key: string, at: number): WedgeVerdict {
    if (key === 'Enter') {
      if (this.keys.length === 0) return { kind: 'typing', keys: ['Enter'] };
      // n keys then Enter: n intervals from the first key to the Enter.
      const average = (at - (this.times[0] as number)) / this.keys.length;
      if (this.keys.length >= this.minLength && average <= this.maxAverageMs) {
        const data = this.keys.join('');
        this.flush();
        return { kind: 'scan', data };
      }
      return { kind: 'typing', keys: [...this.flush(), 'Enter'] };
    }
    if (key.length !== 1) return { kind: 'typing', keys: [...this.flush(), key] };
    this.keys.push(key);
    this.times.push(at);
    return { kind: 'pending' };
  }

  /**
   * Keys held back whose burst has gone quiet for `maxGapMs` at `at`: a person typing. The kiosk
   * calls this from a timer so a typed digit appears without waiting for the next key.
   */
  idle(at: number): string[] {
    const last = this.times.at(-1);
    return last !== undefined && at - last > this.maxGapMs ? this.flush() : [];
  }

  private flush(): string[] {
    const keys = this.keys;
    this.keys = [];
    this.times = [];
    return keys;
  }
}
