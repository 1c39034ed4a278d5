/**
 * Framing of a serial scanner's byte stream: each code ends with the suffix the scanner is set to
 * (CR, LF or CRLF; FIELD-NOTES.md: vendor defaults vary), and a code whose suffix was lost is
 * ended by silence: no byte for `interByteTimeoutMs`. Pure: time is passed in, and the driver calls
 * `expire()` from a timer at `deadline()`.
 *
 * Tolerance, because the scanner's setting and the terminal's may disagree: with `cr` or `crlf` a
 * LF right after a CR is swallowed, with `lf` a CR right before a LF is dropped, so a scanner sending
 * CRLF works under any of the three. Bytes separated by silence are separate frames, so noise on
 * the line (a glitch at power-up) does not stick to the code that follows it.
 */

export const SUFFIXES = ['cr', 'lf', 'crlf', 'none'] as const;
export type Suffix = (typeof SUFFIXES)[number];

/**
 * Scanners send a code's bytes back to back (about 1 ms apart at 9600 baud); 50 ms of silence means
 * the code is over. Short enough that a lost suffix costs the cashier nothing noticeable.
 */
export const DEFAULT_INTER_BYTE_TIMEOUT_MS = 50;

export interface SerialFrame {
  bytes: Uint8Array;
  /** Ended by its suffix (true) or by silence (false: suffix lost, or `none`). */
  terminated: boolean;
  /** Bytes beyond `maxBytes` that were dropped (0 normally): the frame is not the whole code. */
  dropped: number;
}

const CR = 0x0d;
const LF = 0x0a;

export class SerialFramer {
  private readonly suffix: Suffix;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private buf: number[] = [];
  private lastByteAt = 0;
  /** The previous byte ended a frame with CR (a LF may follow). */
  private afterCr = false;
  /** The previous byte of this frame was a CR, kept or dropped (under `lf`, a LF makes it the suffix's). */
  private previousCr = false;
  /** Bytes over `maxBytes` are counted, not kept; the frame is reported as overlong. */
  private overflow = 0;

  constructor(options: { suffix?: Suffix; interByteTimeoutMs?: number; maxBytes?: number } = {}) {
    this.suffix = options.suffix ?? 'cr';
    this.timeoutMs = options.interByteTimeoutMs ?? DEFAULT_INTER_BYTE_TIMEOUT_MS;
    this.maxBytes = options.maxBytes ?? 8192;
  }

  /** Feeds bytes that arrived at `at` (ms); returns the frames they complete. */
  push(chunk: Uint8Array, at: number): SerialFrame[] {
    const out: SerialFrame[] = this.expire(at);
    for (const byte of chunk) {
      const afterCr = this.afterCr;
      this.afterCr = false;
      const previousCr = this.previousCr;
      this.previousCr = byte === CR;
      if (this.suffix !== 'none') {
        if (byte === LF && afterCr && this.suffix !== 'lf') continue; // the LF of a CRLF
        const ends =
          (this.suffix === 'lf' && byte === LF) || (this.suffix !== 'lf' && (byte === CR || byte === LF));
        if (ends) {
          // Under `lf`, the CR of a CRLF is the suffix's, not data: take it back off. In a frame
          // over `maxBytes` it was counted as dropped (every byte after the first dropped one is),
          // so it comes off that count, not off the bytes kept.
          if (this.suffix === 'lf' && previousCr) {
            if (this.overflow > 0) this.overflow--;
            else this.buf.pop();
          }
          this.afterCr = byte === CR;
          const frame = this.take(true);
          if (frame) out.push(frame);
          continue;
        }
      }
      if (this.buf.length < this.maxBytes) this.buf.push(byte);
      else this.overflow++;
    }
    if (chunk.length > 0) this.lastByteAt = at;
    return out;
  }

  /** When a pending frame times out, or undefined when nothing is pending. */
  deadline(): number | undefined {
    return this.buf.length > 0 || this.overflow > 0 ? this.lastByteAt + this.timeoutMs : undefined;
  }

  /** Ends a pending frame whose bytes have been followed by silence until `at`. */
  expire(at: number): SerialFrame[] {
    const deadline = this.deadline();
    if (deadline === undefined || at < deadline) return [];
    const frame = this.take(false);
    return frame ? [frame] : [];
  }

  /** Drops a pending frame (the port closed mid-code). */
  reset(): void {
    this.buf = [];
    this.overflow = 0;
    this.afterCr = false;
    this.previousCr = false;
  }

  private take(terminated: boolean): SerialFrame | undefined {
    if (this.buf.length === 0 && this.overflow === 0) return undefined;
    const frame = { bytes: Uint8Array.from(this.buf), terminated, dropped: this.overflow };
    this.buf = [];
    this.overflow = 0;
    this.previousCr = false;
    return frame;
  }
}
