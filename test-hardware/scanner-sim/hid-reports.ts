/**
 * Pure generators of the input reports a USB scanner sends, for feeding the HID seam
 * (drivers/transport/hid.ts) through {@link FakeHidBackend} and for decoder fixtures:
 *
 * - HID POS (usage page 0x8C, USB-IF "HID Point of Sale Usage Tables"), the vendor layout Suanpan
 *   supports: 64-byte reports of report ID, length, 3-byte AIM identifier, 56 data bytes, 2 reserved
 *   bytes and a "more data follows" flag. A long code spans several reports.
 * - USB boot-keyboard input reports (HID 1.11 appendix B.1) as a keyboard-wedge scanner types them,
 *   US layout (or the keypad, for a scanner set to keypad emulation), one press and one release per
 *   character, Enter at the end.
 * - Faults: split reports (`splitAt`: a code cut across reports at any byte, not only where a report
 *   is full), noise reports a HID POS decoder must drop, the keyboard ErrorRollOver report, and a key
 *   still held when the next is pressed (n-key rollover).
 *
 * Split reports: the operating system never splits one HID report, but a scanner may end a report
 * before it is full and carry on with the rest of the code in the next one (some send each block
 * as their decoder yields it), so report boundaries may fall anywhere in a code. A code cut off
 * mid-way and never finished is {@link hidPosReports} sent in part before an unplug (fake-hid.ts).
 *
 * This file keeps its own US layout table on purpose: the wedge decoder in drivers/scanner has its
 * own, and a test cross-checks the two rather than one being derived from the other.
 */
import { ScannerSimError } from './errors.ts';

/** Every HID POS report of the supported layout is this long, report ID included. */
export const HID_POS_REPORT_SIZE = 64;
/** Data bytes one HID POS report carries (bytes 5–60). */
export const HID_POS_DATA_BYTES = 56;
/** Offsets in a HID POS report. */
export const HID_POS_OFFSET = {
  reportId: 0,
  length: 1,
  aim: 2,
  data: 5,
  /** Bytes 61–62 are reserved, always zero. */
  reserved: 61,
  more: 63,
} as const;
/** Report ID the supported scanners number their HID POS input report with. */
export const DEFAULT_HID_POS_REPORT_ID = 0x02;
/** AIM identifier of a QR code (ISO/IEC 15424): what a phone's payment code is. */
export const DEFAULT_AIM = ']Q1';

/** A boot-keyboard input report: modifiers, reserved, six key slots. */
export const BOOT_KEYBOARD_REPORT_SIZE = 8;
/** Modifier bit of the left Shift key (byte 0 of a boot-keyboard report). */
export const MODIFIER_LEFT_SHIFT = 0x02;
/** Keyboard usage (page 0x07) of Enter, which wedge scanners type after each code. */
export const KEY_ENTER = 0x28;
/** Keyboard usage of Tab, a suffix some scanners are configured with. */
export const KEY_TAB = 0x2b;
/** The usage a keyboard puts in every key slot when too many keys are down (ErrorRollOver). */
export const KEY_ERROR_ROLL_OVER = 0x01;

export interface HidPosReportOptions {
  /** The AIM symbology identifier in every report of the code, 3 ASCII characters; default `]Q1`. */
  aim?: string;
  /** Byte 0 of every report; default 0x02. */
  reportId?: number;
  /**
   * Split reports: byte offsets into the code at which a report ends early and the next one takes
   * over, strictly increasing, each in 1..length−1 (`[1, 5]` sends 1 byte, then 4, then the rest).
   * A part longer than 56 bytes is still cut every 56 bytes. Default none: every report but the
   * last is full.
   */
  splitAt?: readonly number[];
}

/**
 * The HID POS reports of one scanned code. `data` as a string is encoded as UTF-8. Each report is
 * exactly 64 bytes; a code longer than 56 bytes spans ⌈length / 56⌉ reports (more with `splitAt`),
 * every one but the last with the "more data follows" byte set. An empty code is one report of
 * length 0. Throws BAD_INPUT (AIM not 3 ASCII characters), BAD_OPTION (report ID not 0..255, a
 * split point out of range or out of order).
 */
export function hidPosReports(data: Uint8Array | string, options: HidPosReportOptions = {}): Buffer[] {
  const aim = options.aim ?? DEFAULT_AIM;
  const reportId = options.reportId ?? DEFAULT_HID_POS_REPORT_ID;
  if (!/^[\x20-\x7e]{3}$/.test(aim)) {
    throw new ScannerSimError(
      'BAD_INPUT',
      `Invalid AIM identifier ${JSON.stringify(aim)}: expected 3 printable ASCII characters, e.g. "]Q1"`,
    );
  }
  checkByte(reportId, 'reportId');
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const chunks = reportChunks(bytes, options.splitAt ?? []);
  return chunks.map((chunk, i) => {
    const report = Buffer.alloc(HID_POS_REPORT_SIZE);
    report[HID_POS_OFFSET.reportId] = reportId;
    report[HID_POS_OFFSET.length] = chunk.length;
    report.write(aim, HID_POS_OFFSET.aim, 'ascii');
    chunk.copy(report, HID_POS_OFFSET.data);
    report[HID_POS_OFFSET.more] = i < chunks.length - 1 ? 0x01 : 0x00;
    return report;
  });
}

/** The data of each report: the code cut at `splitAt`, and every 56 bytes within a longer part. */
function reportChunks(bytes: Buffer, splitAt: readonly number[]): Buffer[] {
  let previous = 0;
  for (const at of splitAt) {
    if (!Number.isInteger(at) || at <= previous || at >= bytes.length) {
      throw new ScannerSimError(
        'BAD_OPTION',
        `Invalid split point ${at} in [${splitAt.join(', ')}]: expected increasing whole numbers from 1 to ${bytes.length - 1} (the code is ${bytes.length} bytes)`,
      );
    }
    previous = at;
  }
  const chunks: Buffer[] = [];
  const ends = [...splitAt, bytes.length];
  let start = 0;
  for (const end of ends) {
    do {
      const stop = Math.min(end, start + HID_POS_DATA_BYTES);
      chunks.push(bytes.subarray(start, stop));
      start = stop;
    } while (start < end);
  }
  return chunks;
}

/** One key of the US layout: its keyboard usage (page 0x07) and whether Shift is held with it. */
export interface KeyStroke {
  readonly usage: number;
  readonly shift: boolean;
}

/**
 * The US layout of this generator: every printable ASCII character (0x20–0x7E, 95 of them) to the
 * key that types it. Control keys are in {@link CONTROL_KEYS}.
 */
export const US_LAYOUT: ReadonlyMap<string, KeyStroke> = buildUsLayout();

/**
 * The keypad (HID Usage Tables, keyboard page 0x54–0x63), which a scanner set to "keypad emulation"
 * types digits and `. / * - +` on; its Enter is Keypad Enter (0x58). Shift does not change them.
 */
export const KEYPAD_LAYOUT: ReadonlyMap<string, KeyStroke> = new Map([
  ...Array.from('1234567890', (d, i): [string, KeyStroke] => [d, { usage: 0x59 + i, shift: false }]),
  ['/', { usage: 0x54, shift: false }],
  ['*', { usage: 0x55, shift: false }],
  ['-', { usage: 0x56, shift: false }],
  ['+', { usage: 0x57, shift: false }],
  ['.', { usage: 0x63, shift: false }],
]);
/** Keyboard usage of Keypad Enter. */
export const KEY_KEYPAD_ENTER = 0x58;

/** Characters a text may hold that type a control key rather than a printable character. */
export const CONTROL_KEYS: ReadonlyMap<string, KeyStroke> = new Map([
  ['\t', { usage: KEY_TAB, shift: false }],
  ['\n', { usage: KEY_ENTER, shift: false }],
]);

function buildUsLayout(): Map<string, KeyStroke> {
  const layout = new Map<string, KeyStroke>();
  for (let i = 0; i < 26; i += 1) {
    layout.set(String.fromCharCode(0x61 + i), { usage: 0x04 + i, shift: false });
    layout.set(String.fromCharCode(0x41 + i), { usage: 0x04 + i, shift: true });
  }
  // The digit row: 1..9 then 0, and the same keys shifted.
  const digits = '1234567890';
  const shiftedDigits = '!@#$%^&*()';
  for (let i = 0; i < 10; i += 1) {
    layout.set(digits.charAt(i), { usage: 0x1e + i, shift: false });
    layout.set(shiftedDigits.charAt(i), { usage: 0x1e + i, shift: true });
  }
  layout.set(' ', { usage: 0x2c, shift: false });
  // [unshifted, shifted, usage]
  const punctuation: [string, string, number][] = [
    ['-', '_', 0x2d],
    ['=', '+', 0x2e],
    ['[', '{', 0x2f],
    [']', '}', 0x30],
    ['\\', '|', 0x31],
    [';', ':', 0x33],
    ["'", '"', 0x34],
    ['`', '~', 0x35],
    [',', '<', 0x36],
    ['.', '>', 0x37],
    ['/', '?', 0x38],
  ];
  for (const [plain, shifted, usage] of punctuation) {
    layout.set(plain, { usage, shift: false });
    layout.set(shifted, { usage, shift: true });
  }
  return layout;
}

export interface BootKeyboardReportOptions {
  /** Type Enter after the text, as wedge scanners are set up to; default true. */
  enter?: boolean;
  /**
   * Keypad emulation: the characters the keypad has ({@link KEYPAD_LAYOUT}) are typed on it, the
   * rest on the main keys, and the Enter at the end is Keypad Enter. Default false.
   */
  keypad?: boolean;
}

/**
 * The boot-keyboard reports of a wedge scanner typing `text`: for each character a press report
 * (its usage in byte 2, the left Shift bit in byte 0 when needed) then a release report (all zero);
 * then Enter pressed and released unless `enter: false`. `\t` types Tab and `\n` Enter. With
 * `keypad`, digits and `. / * - +` are typed on the keypad and the last Enter is Keypad Enter.
 * Throws BAD_INPUT naming the first character outside the US layout (this is a test generator:
 * it never guesses).
 */
export function bootKeyboardReports(text: string, options: BootKeyboardReportOptions = {}): Buffer[] {
  const reports: Buffer[] = [];
  for (const ch of text) {
    const key = (options.keypad ? KEYPAD_LAYOUT.get(ch) : undefined) ?? keyFor(ch);
    reports.push(keyboardReport(key.shift ? MODIFIER_LEFT_SHIFT : 0, [key.usage]), keyboardReport(0, []));
  }
  if (options.enter ?? true) {
    reports.push(keyboardReport(0, [options.keypad ? KEY_KEYPAD_ENTER : KEY_ENTER]), keyboardReport(0, []));
  }
  return reports;
}

/**
 * One boot-keyboard report: `modifiers` in byte 0, up to six key usages from byte 2. Exported for
 * fixtures the helpers here don't cover. Throws BAD_OPTION on more than six keys or a value > 255.
 */
export function keyboardReport(modifiers: number, keys: readonly number[]): Buffer {
  checkByte(modifiers, 'modifiers');
  if (keys.length > 6) {
    throw new ScannerSimError(
      'BAD_OPTION',
      `A boot-keyboard report holds at most 6 keys, got ${keys.length}`,
    );
  }
  const report = Buffer.alloc(BOOT_KEYBOARD_REPORT_SIZE);
  report[0] = modifiers;
  keys.forEach((usage, i) => {
    checkByte(usage, 'key usage');
    report[2 + i] = usage;
  });
  return report;
}

/**
 * The report a keyboard sends when more keys are down than it can report (HID Usage Tables,
 * keyboard page, usage 0x01 ErrorRollOver): 0x01 in all six key slots. A decoder must type nothing
 * for it and not treat it as a release of the keys before.
 */
export function rolloverReport(): Buffer {
  return keyboardReport(0, new Array(6).fill(KEY_ERROR_ROLL_OVER));
}

/**
 * Key `held` pressed, then `next` pressed while `held` is still down (both in one report), then both
 * released: what a fast scanner with n-key rollover may send. A decoder types `held + next`: a key is
 * typed when it appears in a report, not for every report it stays in. Both characters must need the
 * same Shift state (one modifier byte covers the report) and be different keys; else BAD_INPUT.
 */
export function heldKeyReports(held = 'a', next = 'b'): Buffer[] {
  const first = keyFor(held);
  const second = keyFor(next);
  if (first.shift !== second.shift || first.usage === second.usage) {
    throw new ScannerSimError(
      'BAD_INPUT',
      `heldKeyReports needs two different keys with the same Shift state, got ${JSON.stringify(held)} and ${JSON.stringify(next)}`,
    );
  }
  const modifiers = first.shift ? MODIFIER_LEFT_SHIFT : 0;
  return [
    keyboardReport(modifiers, [first.usage]),
    keyboardReport(modifiers, [first.usage, second.usage]),
    keyboardReport(0, []),
  ];
}

export interface NoiseReportOptions {
  /** The report ID the decoder under test expects; noise never carries it with a valid length. Default 0x02. */
  reportId?: number;
}

/**
 * `n` random 64-byte reports a HID POS decoder must drop, the same for the same `seed`: each either
 * starts with a report ID other than `reportId`, or carries `reportId` with a length byte over 56.
 */
export function noiseReports(n: number, seed: number, options: NoiseReportOptions = {}): Buffer[] {
  const reportId = options.reportId ?? DEFAULT_HID_POS_REPORT_ID;
  checkByte(reportId, 'reportId');
  if (!Number.isInteger(n) || n < 0) {
    throw new ScannerSimError('BAD_OPTION', `Invalid noise report count ${n}: expected an integer ≥ 0`);
  }
  const random = mulberry32(seed);
  const byte = (): number => Math.floor(random() * 256);
  const reports: Buffer[] = [];
  for (let i = 0; i < n; i += 1) {
    const report = Buffer.alloc(HID_POS_REPORT_SIZE);
    for (let j = 0; j < report.length; j += 1) report[j] = byte();
    if (random() < 0.5) {
      // Another report ID: any byte but ours (255 values, uniformly).
      report[0] = (reportId + 1 + Math.floor(random() * 255)) % 256;
    } else {
      report[0] = reportId;
      report[1] = HID_POS_DATA_BYTES + 1 + Math.floor(random() * (255 - HID_POS_DATA_BYTES));
    }
    reports.push(report);
  }
  return reports;
}

function keyFor(ch: string): KeyStroke {
  const key = US_LAYOUT.get(ch) ?? CONTROL_KEYS.get(ch);
  if (!key) {
    const codePoint = ch.codePointAt(0) ?? 0;
    throw new ScannerSimError(
      'BAD_INPUT',
      `Cannot type ${JSON.stringify(ch)} (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}) on a US boot keyboard: ` +
        'expected printable ASCII, tab or newline',
    );
  }
  return key;
}

function checkByte(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ScannerSimError('BAD_OPTION', `Invalid ${name} ${value}: expected an integer 0..255`);
  }
}

/** A small seeded PRNG (mulberry32): the same noise for the same seed, without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
