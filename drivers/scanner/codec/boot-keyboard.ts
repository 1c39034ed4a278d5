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

export interface KeyboardScan {
  text: string;
  /** A key without a character, or a Ctrl/Alt combination, was typed inside it. */
  spoiled: boolean;
}

export class BootKeyboardDecoder {
  private held = new Set<number>();
  private text = '';
  private spoiled = false;
  private readonly maxChars: number;

  constructor(options: { maxChars?: number } = {}) {
    this.maxChars = options.maxChars ?? 8192;
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
    this.spoiled = false;
  }

  private press(key: number, modifiers: number): KeyboardScan | undefined {
    if (key === KEY_ENTER || key === KEY_KEYPAD_ENTER) {
      const scan = { text: this.text, spoiled: this.spoiled };
      this.text = '';
      this.spoiled = false;
      return scan.text.length > 0 || scan.spoiled ? scan : undefined;
    }
    const chars = US_LAYOUT.get(key);
    if (!chars || (modifiers & CTRL_ALT) !== 0) {
      this.spoiled = true;
      return undefined;
    }
    if (this.text.length >= this.maxChars) {
      this.spoiled = true;
      return undefined;
    }
    this.text += (modifiers & SHIFT) !== 0 ? chars[1] : chars[0];
    return undefined;
  }
}
