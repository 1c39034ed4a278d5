/**
 * USB boot-keyboard input reports, for keyboard-wedge scanners read through HID (8 bytes: modifier
 * bits, a reserved byte, up to six key codes of usage page 0x07, per the USB HID specification's
 * boot protocol, appendix B.1). A key press is a key code present in a report that was not in the
 * previous one, so keys held across reports (n-key rollover) are typed once. Decoded with a US
 * layout, which is what scanners emulate unless configured otherwise.
 *
 * The decoder turns presses into characters and Enter into the end of a code. A key it has no
 * character for (F-keys, arrows, Ctrl combinations) spoils the code being typed: the code is
 * reported as garbled (`spoiled: true`) when its Enter comes, never emitted as if it were whole.
 */

const LEFT_CTRL = 0x01;
const LEFT_SHIFT = 0x02;
const LEFT_ALT = 0x04;
const RIGHT_CTRL = 0x10;
const RIGHT_SHIFT = 0x20;
const RIGHT_ALT = 0x40;
const SHIFT = LEFT_SHIFT | RIGHT_SHIFT;
const CTRL_ALT = LEFT_CTRL | RIGHT_CTRL | LEFT_ALT | RIGHT_ALT;

export const KEY_ENTER = 0x28;
const KEY_KEYPAD_ENTER = 0x58;
/** All six slots set to ErrorRollOver: too many keys at once, the report says nothing. */
const KEY_ERROR_ROLLOVER = 0x01;

/** US layout: key code → [unshifted, shifted]. */
const US_LAYOUT: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  ...Array.from({ length: 26 }, (_, i): [number, readonly [string, string]] => [
    0x04 + i,
    [String.fromCharCode(0x61 + i), String.fromCharCode(0x41 + i)],
  ]),
  ...Array.from('1234567890').map((d, i): [number, readonly [string, string]] => [
    0x1e + i,
    [d, '!@#$%^&*()'[i] as string],
  ]),
  [0x2b, ['\t', '\t']],
  [0x2c, [' ', ' ']],
  [0x2d, ['-', '_']],
  [0x2e, ['=', '+']],
  [0x2f, ['[', '{']],
  [0x30, [']', '}']],
  [0x31, ['\\', '|']],
  [0x33, [';', ':']],
  [0x34, ["'", '"']],
  [0x35, ['`', '~']],
  [0x36, [',', '<']],
  [0x37, ['.', '>']],
  [0x38, ['/', '?']],
  // Keypad digits and operators (scanners set to "keypad emulation" send these).
  ...Array.from('123456789').map((d, i): [number, readonly [string, string]] => [0x59 + i, [d, d]]),
  [0x62, ['0', '0']],
  [0x54, ['/', '/']],
  [0x55, ['*', '*']],
  [0x56, ['-', '-']],
  [0x57, ['+', '+']],
  [0x63, ['.', '.']],
]);

/** Routing refuses anything over 4096 bytes; a little over it lets routing say "too long" itself. */
export const DEFAULT_MAX_KEYBOARD_CHARS = 8192;

export interface KeyboardScan {
  text: string;
  /** Not the code as typed: `unmappedKey` or `overlong` says why. */
  spoiled: boolean;
  /** A key without a character, or a Ctrl/Alt combination, was typed inside it. */
  unmappedKey?: true;
  /** More characters were typed than the decoder keeps: `dropped` of them past `limit` were lost. */
  overlong?: { limit: number; dropped: number };
}

/**
 * Why a spoiled code was not passed on, for a technician (undefined when it is whole). Each cause
 * has its own words: an overlong code is a framing problem (no Enter between codes), not a keyboard
 * layout one.
 */
export function keyboardScanFault(scan: KeyboardScan): string | undefined {
  if (!scan.spoiled) return undefined;
  const causes: string[] = [];
  if (scan.overlong) {
    causes.push(
      `the code was longer than the limit of ${scan.overlong.limit} characters (${scan.overlong.dropped} more were typed), so it was dropped: check the scanner sends Enter after each code`,
    );
  }
  if (scan.unmappedKey) {
    causes.push(
      'keys without a character (or Ctrl/Alt combinations) were typed inside this code: check the scanner is set to a US keyboard layout',
    );
  }
  return causes.length > 0 ? causes.join('; and ') : 'the code was damaged while it was typed';
}

export class BootKeyboardDecoder {
  private held = new Set<number>();
  private text = '';
  private unmappedKey = false;
  /** Characters typed past `maxChars` in the code being typed. */
  private dropped = 0;
  private readonly maxChars: number;

  constructor(options: { maxChars?: number } = {}) {
    this.maxChars = options.maxChars ?? DEFAULT_MAX_KEYBOARD_CHARS;
  }

  /** Feeds one 8-byte report; returns the codes it completes (Enter presses), usually none or one. */
  push(report: Uint8Array): KeyboardScan[] {
    if (report.length < 3) return [];
    const keys = report.subarray(2, 8);
    if (keys.every((k) => k === KEY_ERROR_ROLLOVER)) return []; // state unknown: keep what is held
    const modifiers = report[0] as number;
    const now = new Set<number>();
    const out: KeyboardScan[] = [];
    for (const key of keys) {
      if (key === 0 || key === KEY_ERROR_ROLLOVER) continue;
      now.add(key);
      if (this.held.has(key)) continue;
      const done = this.press(key, modifiers);
      if (done) out.push(done);
    }
    this.held = now;
    return out;
  }

  /** Drops a half-typed code (device gone). */
  reset(): void {
    this.held.clear();
    this.text = '';
    this.unmappedKey = false;
    this.dropped = 0;
  }

  private press(key: number, modifiers: number): KeyboardScan | undefined {
    if (key === KEY_ENTER || key === KEY_KEYPAD_ENTER) {
      const scan: KeyboardScan = {
        text: this.text,
        spoiled: this.unmappedKey || this.dropped > 0,
        ...(this.unmappedKey ? { unmappedKey: true as const } : {}),
        ...(this.dropped > 0 ? { overlong: { limit: this.maxChars, dropped: this.dropped } } : {}),
      };
      this.text = '';
      this.unmappedKey = false;
      this.dropped = 0;
      return scan.text.length > 0 || scan.spoiled ? scan : undefined;
    }
    const chars = US_LAYOUT.get(key);
    if (!chars || (modifiers & CTRL_ALT) !== 0) {
      this.unmappedKey = true;
      return undefined;
    }
    if (this.text.length >= this.maxChars) {
      this.dropped++;
      return undefined;
    }
    this.text += (modifiers & SHIFT) !== 0 ? chars[1] : chars[0];
    return undefined;
  }
}
