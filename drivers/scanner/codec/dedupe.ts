/**
 * Duplicate-scan suppression: a scanner in presentation mode reads the same phone screen again and
 * again while it is held up; only the first read within the window counts. Pure, time passed in.
 * A different code, or the same one after the window has passed since its last read, gets through.
 * The window slides: a code held in front of the scanner for a minute is one scan, not one a second.
 */

/** Presentation-mode scanners re-read a code held in view every few hundred ms; a cashier who
 * deliberately scans the same code again waits longer than this. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 1_500;

export class DuplicateFilter {
  private lastKey = '';
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly windowMs: number;

  constructor(options: { windowMs?: number } = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  }

  /** True when this scan should be passed on; false for a repeat within the window. */
  accept(data: Uint8Array, at: number): boolean {
    const key = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
    const repeat = key === this.lastKey && at - this.lastAt < this.windowMs;
    this.lastKey = key;
    this.lastAt = at;
    return !repeat;
  }
}
