/**
 * Framing of an ESC/POS (Epson) byte stream into commands: the first half of the printer simulator's
 * decoder. Pure and streaming: `push` accepts chunks split anywhere and returns the commands completed
 * so far; nothing here knows about paper, sockets or receipts.
 *
 * Written from the Epson ESC/POS command reference and `shared/FIELD-NOTES.md`, independently of the
 * driver in `drivers/`, because it is the check of that driver's bytes.
 */
import iconv from 'iconv-lite';

/** Horizontal alignment, `ESC a n`. */
export type Align = 'left' | 'center' | 'right';

/** `ESC M n`. */
export type Font = 'A' | 'B' | 'C';

/** QR error correction level, `GS ( k` fn 69 (n = 48..51). */
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** How the bytes of one text character were read. */
export type TextEncoding =
  /** 0x20..0x7E. */
  | 'ascii'
  /** A 2-byte GB18030 (GBK) character, in Chinese mode. */
  | 'gb18030'
  /** A 4-byte GB18030 character, in Chinese mode: field notes say real printers usually can't print these. */
  | 'gb18030-4'
  /** A byte >= 0x7F outside Chinese mode, read in the code page selected by `ESC t`. */
  | 'codepage'
  /** A byte that is no character: an invalid GB18030 lead or trail byte. Text is U+FFFD. */
  | 'invalid';

/**
 * One framed command. `length` is the number of stream bytes it took, so that the lengths of every
 * command returned, in order, add up to the bytes pushed (less what is still incomplete).
 */
export type EscPosCommand = CommandBody & { length: number };

/** A command without its length. */
export type CommandBody =
  | { type: 'text'; text: string; encoding: TextEncoding }
  /** LF, VT, FF (n = 1) or `ESC d n`: print the line buffer and feed n lines. */
  | { type: 'feed-lines'; lines: number }
  /** `ESC J n`: print the line buffer and feed n dots. */
  | { type: 'feed-dots'; dots: number }
  /** CR: ignored by printers with auto line feed disabled (Epson's default). */
  | { type: 'carriage-return' }
  | { type: 'tab' }
  /** `ESC @`. */
  | { type: 'init' }
  | { type: 'align'; align: Align }
  /** `ESC E n`. */
  | { type: 'emphasized'; on: boolean }
  /** `ESC G n`. */
  | { type: 'double-strike'; on: boolean }
  /** `ESC - n`: 0 off, 1 or 2 dots thick. */
  | { type: 'underline'; dots: 0 | 1 | 2 }
  /** `GS ! n`: multipliers 1..8. */
  | { type: 'char-size'; width: number; height: number }
  /** `ESC ! n`: the raw mode byte. */
  | { type: 'print-mode'; mode: number }
  | { type: 'font'; font: Font }
  /** `ESC t n`. */
  | { type: 'code-page'; page: number }
  /** `ESC R n`. */
  | { type: 'international-charset'; charset: number }
  /** `ESC SP n`. */
  | { type: 'char-spacing'; dots: number }
  /** `ESC 2` (default, undefined) or `ESC 3 n`. */
  | { type: 'line-spacing'; dots: number | undefined }
  /** `ESC {`. */
  | { type: 'upside-down'; on: boolean }
  /** `GS B`. */
  | { type: 'reverse'; on: boolean }
  /** `GS L`. */
  | { type: 'left-margin'; dots: number }
  /** `GS W`. */
  | { type: 'print-width'; dots: number }
  /** `ESC D n1..nk NUL`: tab stops in character columns. */
  | { type: 'tab-stops'; columns: number[] }
  /** `FS &` (on) and `FS .` (off). */
  | { type: 'chinese-mode'; on: boolean }
  /** `GS a n`: automatic status back enable mask. */
  | { type: 'auto-status-back'; mask: number }
  /** `GS ( k` cn=0x31 fn 65/67/69. */
  | { type: 'qr-model'; model: 1 | 2 | 'micro' }
  | { type: 'qr-module-size'; dots: number }
  | { type: 'qr-error-correction'; level: QrErrorCorrection }
  /** `GS ( k` cn=0x31 fn 80: store the symbol data. */
  | { type: 'qr-store'; data: Uint8Array }
  /** `GS ( k` cn=0x31 fn 81: print the stored symbol. */
  | { type: 'qr-print' }
  /** `GS v 0 m xL xH yL yH d…`: `data` is `widthBytes * height` bytes, rows top to bottom, MSB leftmost. */
  | { type: 'raster'; mode: number; widthBytes: number; height: number; data: Uint8Array }
  /** `GS k m …`: barcode system m and its data bytes. */
  | { type: 'barcode'; system: number; data: Uint8Array }
  /** `GS V`, `ESC i`, `ESC m`. `feedDots` for `GS V 65/66 n` (feed n then cut). */
  | { type: 'cut'; cut: 'full' | 'partial'; feedDots: number }
  /** `ESC p m t1 t2` (on/off t×2 ms) or real-time `DLE DC4 1 m t` (on/off t×100 ms). */
  | { type: 'drawer-pulse'; pin: 2 | 5; onMs: number; offMs: number; realTime: boolean }
  /** `DLE EOT n`: a real-time status request; not content. */
  | { type: 'status-request'; n: number }
  /**
   * A command the parser knows and frames but the simulator does not model (barcode settings, bit
   * images, page mode …). `realTime` for `DLE ENQ` / `DLE DC4`, which a printer executes on receipt.
   */
  | { type: 'ignored'; name: string; realTime: boolean }
  /** Bytes that are no known command: an unknown ESC/GS/FS function, a stray control byte. */
  | { type: 'unknown'; bytes: Uint8Array };

/** Commands a printer executes as soon as they are received, even when offline or in error. */
export function isRealTime(command: EscPosCommand): boolean {
  return (
    command.type === 'status-request' ||
    (command.type === 'drawer-pulse' && command.realTime) ||
    (command.type === 'ignored' && command.realTime)
  );
}

export interface EscPosParserOptions {
  /**
   * Whether the printer is in Chinese mode at power-up and after `ESC @`. Field notes: many
   * Chinese-market printers power up in Chinese mode. Default false (Epson's default), so a driver
   * must send `FS &` before GB18030 text.
   */
  chineseModeAtPowerUp?: boolean;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;
const NUL = 0x00;

/**
 * Largest `GS v 0` raster (bytes of dot data) the parser keeps. A 576-dot printer's full-width image
 * 2 m long is 72 × 16,000 = 1.1 MB; 8 MiB covers any real receipt while a garbled header (up to
 * 65,535 × 65,535 bytes) is skipped without being held in memory.
 */
const MAX_RASTER_BYTES = 8 * 1024 * 1024;

/**
 * Longest NUL-terminated `GS k` data. Epson's own limit is 255 data bytes; past it the command is
 * treated as garbled, so a lost NUL cannot make the parser swallow the rest of the stream.
 */
const MAX_BARCODE_NUL_DATA = 255;

/** `ESC D` takes at most 32 tab positions, then NUL. */
const MAX_TAB_STOPS = 32;

/**
 * Largest variable-length definition (`ESC &` user characters, `FS q` NV images) the parser buffers
 * whole before framing it. These are skipped, not modelled; past this the header is treated as
 * unknown so garbage cannot make the parser buffer without bound.
 */
const MAX_WALKED_COMMAND_BYTES = 1024 * 1024;

/**
 * Code pages of `ESC t n` that the simulator decodes (Epson numbering; clones differ, field notes).
 * Other pages decode as U+FFFD, with the byte counted by the decoder.
 */
const CODE_PAGES: ReadonlyMap<number, string> = new Map([
  [0, 'cp437'],
  [2, 'cp850'],
  [3, 'cp860'],
  [4, 'cp863'],
  [5, 'cp865'],
  [16, 'windows-1252'],
  [17, 'cp866'],
  [18, 'cp852'],
  [19, 'cp858'],
]);

type Step =
  /** Not enough bytes to frame the command that starts here. */
  | { kind: 'need' }
  | { kind: 'done'; end: number; command: EscPosCommand }
  /**
   * A header of `headerLength` bytes followed by `bodyLength` bytes that may arrive over many chunks;
   * `keep` false skips the body without holding it.
   */
  | {
      kind: 'body';
      headerLength: number;
      bodyLength: number;
      keep: boolean;
      finish: (body: Uint8Array, length: number) => EscPosCommand;
    };

interface BodyInProgress {
  remaining: number;
  total: number;
  parts: Uint8Array[] | undefined;
  finish: (body: Uint8Array, length: number) => EscPosCommand;
}

const EMPTY = new Uint8Array(0);

/**
 * Streaming framer. Contract:
 * - `push` never throws, whatever the bytes; bytes that frame no command come out as `unknown`
 *   commands (an unknown ESC/GS/FS function costs its prefix and function byte, or the prefix alone
 *   when the next byte is itself a prefix; a stray control byte costs one byte).
 * - The same stream split into chunks anywhere yields the same commands.
 * - An incomplete command at the end of a chunk is held until the next push; its data bodies
 *   (raster, QR data, skipped graphics) are collected or skipped as they arrive.
 * - The parser tracks the two modes that change how bytes are framed: Chinese mode (`FS &`/`FS .`)
 *   and the code page (`ESC t`); `ESC @` resets both to their power-up values.
 */
export class EscPosParser {
  private carry: Uint8Array = EMPTY;
  private body: BodyInProgress | undefined;
  private chineseMode: boolean;
  private codePage = 0;

  constructor(private readonly options: EscPosParserOptions = {}) {
    this.chineseMode = options.chineseModeAtPowerUp ?? false;
  }

  /** Whether bytes >= 0x80 are read as GB18030 now. */
  get inChineseMode(): boolean {
    return this.chineseMode;
  }

  /** Bytes held for an incomplete command (header or body). */
  get buffered(): number {
    return this.carry.length + (this.body ? this.body.total - this.body.remaining : 0);
  }

  push(chunk: Uint8Array): EscPosCommand[] {
    const out: EscPosCommand[] = [];
    let buf = chunk;
    let i = 0;
    if (this.body) {
      i = this.feedBody(buf, 0, out);
      if (this.body) return out;
    }
    if (this.carry.length > 0) {
      const joined = new Uint8Array(this.carry.length + buf.length - i);
      joined.set(this.carry, 0);
      joined.set(buf.subarray(i), this.carry.length);
      buf = joined;
      i = 0;
      this.carry = EMPTY;
    }
    while (i < buf.length) {
      const step = this.parseAt(buf, i);
      if (step.kind === 'need') {
        this.carry = buf.slice(i);
        break;
      }
      if (step.kind === 'done') {
        this.observe(step.command);
        out.push(step.command);
        i = step.end;
        continue;
      }
      this.body = {
        remaining: step.bodyLength,
        total: step.headerLength + step.bodyLength,
        parts: step.keep ? [] : undefined,
        finish: step.finish,
      };
      i = this.feedBody(buf, i + step.headerLength, out);
    }
    return out;
  }

  /** Moves body bytes from `buf[from..]` into the body in progress; returns the index after them. */
  private feedBody(buf: Uint8Array, from: number, out: EscPosCommand[]): number {
    const body = this.body;
    if (!body) return from;
    const n = Math.min(body.remaining, buf.length - from);
    if (body.parts && n > 0) body.parts.push(buf.slice(from, from + n));
    body.remaining -= n;
    if (body.remaining === 0) {
      this.body = undefined;
      const command = body.finish(concat(body.parts ?? []), body.total);
      this.observe(command);
      out.push(command);
    }
    return from + n;
  }

  /** Keeps the framing modes in step with the commands that change them. */
  private observe(command: EscPosCommand): void {
    if (command.type === 'chinese-mode') this.chineseMode = command.on;
    else if (command.type === 'code-page') this.codePage = command.page;
    else if (command.type === 'init') {
      this.chineseMode = this.options.chineseModeAtPowerUp ?? false;
      this.codePage = 0;
    }
  }

  private parseAt(buf: Uint8Array, i: number): Step {
    const b = byteAt(buf, i);
    if (b === ESC) return this.parseEsc(buf, i);
    if (b === GS) return this.parseGs(buf, i);
    if (b === FS) return this.parseFs(buf, i);
    if (b === DLE) return this.parseDle(buf, i);
    if (b >= 0x20 && b <= 0x7e) {
      return done(i, 1, { type: 'text', text: String.fromCharCode(b), encoding: 'ascii' });
    }
    switch (b) {
      case 0x0a: // LF
      case 0x0b: // VT: Epson's vertical tab; with no vertical tabs set it feeds one line
      case 0x0c: // FF: in standard mode, prints and feeds (to the next label on label printers)
        return done(i, 1, { type: 'feed-lines', lines: 1 });
      case 0x0d:
        return done(i, 1, { type: 'carriage-return' });
      case 0x09:
        return done(i, 1, { type: 'tab' });
      case 0x18: // CAN: cancels page-mode data; nothing to cancel in standard mode
        return done(i, 1, { type: 'ignored', name: 'CAN', realTime: false });
    }
    if (b < 0x20) return unknown(buf, i, 1);
    return this.parseHighByte(buf, i);
  }

  /** A byte 0x7F..0xFF: a GB18030 lead byte in Chinese mode, else a code-page character. */
  private parseHighByte(buf: Uint8Array, i: number): Step {
    const b1 = byteAt(buf, i);
    if (!this.chineseMode) {
      const encoding = CODE_PAGES.get(this.codePage);
      const text = encoding ? iconv.decode(buf.subarray(i, i + 1), encoding) : '\uFFFD';
      return done(i, 1, { type: 'text', text, encoding: 'codepage' });
    }
    if (b1 < 0x81 || b1 > 0xfe) return done(i, 1, { type: 'text', text: '\uFFFD', encoding: 'invalid' });
    if (buf.length < i + 2) return { kind: 'need' };
    const b2 = byteAt(buf, i + 1);
    if ((b2 >= 0x40 && b2 <= 0x7e) || (b2 >= 0x80 && b2 <= 0xfe)) {
      return done(i, 2, { type: 'text', text: gb18030(buf.subarray(i, i + 2)), encoding: 'gb18030' });
    }
    if (b2 >= 0x30 && b2 <= 0x39) {
      if (buf.length < i + 3) return { kind: 'need' };
      const b3 = byteAt(buf, i + 2);
      if (b3 >= 0x81 && b3 <= 0xfe) {
        if (buf.length < i + 4) return { kind: 'need' };
        const b4 = byteAt(buf, i + 3);
        if (b4 >= 0x30 && b4 <= 0x39) {
          return done(i, 4, { type: 'text', text: gb18030(buf.subarray(i, i + 4)), encoding: 'gb18030-4' });
        }
      }
    }
    // A lead byte without a valid trail: a printer prints some glyph for it; the trail byte is framed
    // again on its own (it may be a command prefix).
    return done(i, 1, { type: 'text', text: '\uFFFD', encoding: 'invalid' });
  }

  private parseEsc(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 2) return { kind: 'need' };
    const f = byteAt(buf, i + 1);
    /** A command of `size` bytes whose parameters are all present; `make` reads them. */
    const fixed = (size: number, make: (p: (k: number) => number) => CommandBody): Step =>
      buf.length < i + size
        ? { kind: 'need' }
        : done(
            i,
            size,
            make((k) => byteAt(buf, i + 1 + k)),
          );
    const ignored = (size: number, name: string): Step => fixed(size, () => ignore(name));
    switch (f) {
      case 0x40: // @
        return done(i, 2, { type: 'init' });
      case 0x21: // !
        return fixed(3, (p) => ({ type: 'print-mode', mode: p(1) }));
      case 0x2d: // -
        return fixed(3, (p) => ({ type: 'underline', dots: underlineDots(p(1)) }));
      case 0x45: // E
        return fixed(3, (p) => ({ type: 'emphasized', on: (p(1) & 1) === 1 }));
      case 0x47: // G
        return fixed(3, (p) => ({ type: 'double-strike', on: (p(1) & 1) === 1 }));
      case 0x61: // a
        return fixed(3, (p) => {
          const align = alignOf(p(1));
          return align ? { type: 'align', align } : ignore(`ESC a ${p(1)} (out of range)`);
        });
      case 0x4d: // M
        return fixed(3, (p) => ({ type: 'font', font: fontOf(p(1)) }));
      case 0x74: // t
        return fixed(3, (p) => ({ type: 'code-page', page: p(1) }));
      case 0x52: // R
        return fixed(3, (p) => ({ type: 'international-charset', charset: p(1) }));
      case 0x20: // SP
        return fixed(3, (p) => ({ type: 'char-spacing', dots: p(1) }));
      case 0x32: // 2
        return done(i, 2, { type: 'line-spacing', dots: undefined });
      case 0x33: // 3
        return fixed(3, (p) => ({ type: 'line-spacing', dots: p(1) }));
      case 0x64: // d
        return fixed(3, (p) => ({ type: 'feed-lines', lines: p(1) }));
      case 0x4a: // J
        return fixed(3, (p) => ({ type: 'feed-dots', dots: p(1) }));
      case 0x7b: // {
        return fixed(3, (p) => ({ type: 'upside-down', on: (p(1) & 1) === 1 }));
      case 0x70: // p m t1 t2
        return fixed(5, (p) => {
          const pin = drawerPin(p(1));
          return pin
            ? { type: 'drawer-pulse', pin, onMs: p(2) * 2, offMs: p(3) * 2, realTime: false }
            : ignore(`ESC p ${p(1)} (no such connector pin)`);
        });
      // Epson's reference calls both ESC i (one point left) and ESC m (three points left) partial
      // cuts; some clones make ESC i a full cut. The simulator follows Epson.
      case 0x69: // i
      case 0x6d: // m
        return done(i, 2, { type: 'cut', cut: 'partial', feedDots: 0 });
      case 0x44: // D n1 … nk NUL
        return this.parseTabStops(buf, i);
      case 0x24: // $ nL nH: absolute print position
        return ignored(4, 'ESC $');
      case 0x5c: // \ nL nH: relative print position
        return ignored(4, 'ESC \\');
      case 0x25: // % n: user-defined character set on/off
        return ignored(3, 'ESC %');
      case 0x3f: // ? n: cancel user-defined character
        return ignored(3, 'ESC ?');
      case 0x3d: // = n: select peripheral device
        return ignored(3, 'ESC =');
      case 0x63: // c 3 n / c 4 n / c 5 n: paper sensors, panel buttons
        return ignored(4, 'ESC c');
      case 0x72: // r n: print colour
        return ignored(3, 'ESC r');
      case 0x56: // V n: 90° rotation
        return ignored(3, 'ESC V');
      case 0x55: // U n: unidirectional printing
        return ignored(3, 'ESC U');
      case 0x54: // T n: page-mode print direction
        return ignored(3, 'ESC T');
      case 0x65: // e n: reverse feed
        return ignored(3, 'ESC e');
      case 0x75: // u n: transmit peripheral status (not real-time; not answered)
        return ignored(3, 'ESC u');
      case 0x76: // v: transmit paper sensor status (not real-time; not answered)
        return ignored(2, 'ESC v');
      case 0x4c: // L: page mode
      case 0x53: // S: standard mode
      case 0x0c: // FF: print page-mode data
        return ignored(2, `ESC ${hex(f)}`);
      case 0x57: // W xL xH yL yH dxL dxH dyL dyH: page-mode print area
        return ignored(10, 'ESC W');
      case 0x2a: // * m nL nH d…: column bit image; 8-dot modes (m 0, 1) take 1 byte a column, 24-dot 3
        if (buf.length < i + 5) return { kind: 'need' };
        return skipBody(
          5,
          (byteAt(buf, i + 3) + 256 * byteAt(buf, i + 4)) * (byteAt(buf, i + 2) <= 1 ? 1 : 3),
          'ESC *',
        );
      case 0x26: // & y c1 c2 [x d1 … d(y×x)]…: user-defined characters
        return this.parseUserCharacters(buf, i);
    }
    return unknown(buf, i, 2);
  }

  private parseGs(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 2) return { kind: 'need' };
    const f = byteAt(buf, i + 1);
    const fixed = (size: number, make: (p: (k: number) => number) => CommandBody): Step =>
      buf.length < i + size
        ? { kind: 'need' }
        : done(
            i,
            size,
            make((k) => byteAt(buf, i + 1 + k)),
          );
    const ignored = (size: number, name: string): Step => fixed(size, () => ignore(name));
    switch (f) {
      case 0x21: // ! n
        return fixed(3, (p) => {
          const n = p(1);
          // Epson: each nibble is 0..7 (multipliers 1..8); other values make the command ignored.
          if ((n & 0x88) !== 0) return ignore(`GS ! ${hex(n)} (size out of range)`);
          return { type: 'char-size', width: (n >> 4) + 1, height: (n & 0x0f) + 1 };
        });
      case 0x42: // B n
        return fixed(3, (p) => ({ type: 'reverse', on: (p(1) & 1) === 1 }));
      case 0x4c: // L nL nH
        return fixed(4, (p) => ({ type: 'left-margin', dots: p(1) + 256 * p(2) }));
      case 0x57: // W nL nH
        return fixed(4, (p) => ({ type: 'print-width', dots: p(1) + 256 * p(2) }));
      case 0x61: // a n
        return fixed(3, (p) => ({ type: 'auto-status-back', mask: p(1) }));
      case 0x68: // h n: barcode height
      case 0x77: // w n: barcode module width
      case 0x48: // H n: HRI position
      case 0x66: // f n: HRI font
        return ignored(3, `GS ${String.fromCharCode(f)}`);
      case 0x50: // P x y: motion units
        return ignored(4, 'GS P');
      case 0x24: // $ nL nH
      case 0x5c: // \ nL nH
        return ignored(4, `GS ${String.fromCharCode(f)}`);
      case 0x5e: // ^ r t m: execute macro
        return ignored(5, 'GS ^');
      case 0x3a: // :: start/end macro definition
        return ignored(2, 'GS :');
      case 0x2f: // / m: print downloaded bit image
        return ignored(3, 'GS /');
      case 0x62: // b n: smoothing
      case 0x54: // T n: print position to line start
      case 0x49: // I n: transmit printer ID (not real-time; not answered)
      case 0x72: // r n: transmit status (not real-time; not answered)
        return ignored(3, `GS ${String.fromCharCode(f)}`);
      case 0x2a: // * x y d…: define downloaded bit image, x×y×8 bytes
        if (buf.length < i + 4) return { kind: 'need' };
        return skipBody(4, byteAt(buf, i + 2) * byteAt(buf, i + 3) * 8, 'GS *');
      case 0x56: // V m [n]
        return this.parseCut(buf, i);
      case 0x76: // v 0 m xL xH yL yH d…
        return this.parseRaster(buf, i);
      case 0x6b: // k m …
        return this.parseBarcode(buf, i);
      case 0x28: // ( fn pL pH …
        return this.parseGsParen(buf, i);
      case 0x38: // 8 L p1 p2 p3 p4 …: graphics with a 32-bit length
        if (buf.length < i + 3) return { kind: 'need' };
        if (byteAt(buf, i + 2) !== 0x4c) return unknown(buf, i, 2);
        if (buf.length < i + 7) return { kind: 'need' };
        return skipBody(
          7,
          byteAt(buf, i + 3) +
            byteAt(buf, i + 4) * 0x100 +
            byteAt(buf, i + 5) * 0x10000 +
            byteAt(buf, i + 6) * 0x1000000,
          'GS 8 L',
        );
    }
    return unknown(buf, i, 2);
  }

  private parseFs(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 2) return { kind: 'need' };
    const f = byteAt(buf, i + 1);
    const ignored = (size: number, name: string): Step =>
      buf.length < i + size ? { kind: 'need' } : done(i, size, ignore(name));
    switch (f) {
      case 0x26: // &
        return done(i, 2, { type: 'chinese-mode', on: true });
      case 0x2e: // .
        return done(i, 2, { type: 'chinese-mode', on: false });
      case 0x21: // ! n: Kanji print mode
        return ignored(3, 'FS !');
      case 0x2d: // - n: Kanji underline
        return ignored(3, 'FS -');
      case 0x43: // C n: Kanji code system
        return ignored(3, 'FS C');
      case 0x57: // W n: Kanji quadruple size
        return ignored(3, 'FS W');
      case 0x53: // S n1 n2: Kanji spacing
        return ignored(4, 'FS S');
      case 0x3f: // ? c1 c2: cancel user-defined Kanji
        return ignored(4, 'FS ?');
      case 0x70: // p n m: print NV bit image
        return ignored(4, 'FS p');
      case 0x32: // 2 c1 c2 d1…d72: define user-defined Kanji (24×24 dots)
        return ignored(4 + 72, 'FS 2');
      case 0x28: // ( fn pL pH …
        if (buf.length < i + 5) return { kind: 'need' };
        return skipBody(
          5,
          byteAt(buf, i + 3) + 256 * byteAt(buf, i + 4),
          `FS ( ${String.fromCharCode(byteAt(buf, i + 2))}`,
        );
      case 0x71: // q n [xL xH yL yH d…]…: define NV bit images
        return this.parseNvImages(buf, i);
    }
    return unknown(buf, i, 2);
  }

  private parseDle(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 2) return { kind: 'need' };
    const f = byteAt(buf, i + 1);
    if (f === 0x04) {
      // DLE EOT n; n = 7 and 8 (ink and peripheral status on some models) take one more byte.
      if (buf.length < i + 3) return { kind: 'need' };
      const n = byteAt(buf, i + 2);
      const size = n === 7 || n === 8 ? 4 : 3;
      if (buf.length < i + size) return { kind: 'need' };
      return done(i, size, { type: 'status-request', n });
    }
    if (f === 0x05) {
      if (buf.length < i + 3) return { kind: 'need' };
      return done(i, 3, { type: 'ignored', name: 'DLE ENQ', realTime: true });
    }
    if (f === 0x14) {
      if (buf.length < i + 3) return { kind: 'need' };
      const fn = byteAt(buf, i + 2);
      const sizes: Record<number, number> = { 1: 5, 2: 5, 3: 5, 7: 4, 8: 10 };
      const size = sizes[fn];
      if (size === undefined) return unknown(buf, i, 3);
      if (buf.length < i + size) return { kind: 'need' };
      if (fn === 1) {
        const pin = drawerPin(byteAt(buf, i + 3));
        const t = byteAt(buf, i + 4);
        if (pin)
          return done(i, size, { type: 'drawer-pulse', pin, onMs: t * 100, offMs: t * 100, realTime: true });
      }
      return done(i, size, { type: 'ignored', name: `DLE DC4 ${fn}`, realTime: true });
    }
    // A DLE that starts no real-time command is a stray control byte.
    return unknown(buf, i, 1);
  }

  private parseCut(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 3) return { kind: 'need' };
    const m = byteAt(buf, i + 2);
    if (m === 0 || m === 48) return done(i, 3, { type: 'cut', cut: 'full', feedDots: 0 });
    if (m === 1 || m === 49) return done(i, 3, { type: 'cut', cut: 'partial', feedDots: 0 });
    // 65/66: feed n then cut; 97/98 (feed n and cut), 103/104 (reserve a cut at n): newer models.
    if (m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104) {
      if (buf.length < i + 4) return { kind: 'need' };
      const cut = m === 65 || m === 97 || m === 103 ? 'full' : 'partial';
      return done(i, 4, { type: 'cut', cut, feedDots: byteAt(buf, i + 3) });
    }
    return unknown(buf, i, 2);
  }

  private parseRaster(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 3) return { kind: 'need' };
    if (byteAt(buf, i + 2) !== 0x30) return unknown(buf, i, 2);
    if (buf.length < i + 8) return { kind: 'need' };
    const mode = byteAt(buf, i + 3);
    const widthBytes = byteAt(buf, i + 4) + 256 * byteAt(buf, i + 5);
    const height = byteAt(buf, i + 6) + 256 * byteAt(buf, i + 7);
    const size = widthBytes * height;
    if (size > MAX_RASTER_BYTES) return skipBody(8, size, 'GS v 0 (too large to keep)');
    return {
      kind: 'body',
      headerLength: 8,
      bodyLength: size,
      keep: true,
      finish: (data, length) => ({ type: 'raster', mode, widthBytes, height, data, length }),
    };
  }

  private parseBarcode(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 3) return { kind: 'need' };
    const m = byteAt(buf, i + 2);
    if (m <= 6) {
      // Function A: data ends with NUL.
      const limit = Math.min(buf.length, i + 3 + MAX_BARCODE_NUL_DATA + 1);
      for (let k = i + 3; k < limit; k++) {
        if (byteAt(buf, k) === NUL) {
          return done(i, k + 1 - i, { type: 'barcode', system: m, data: buf.slice(i + 3, k) });
        }
      }
      if (limit < i + 3 + MAX_BARCODE_NUL_DATA + 1) return { kind: 'need' };
      return unknown(buf, i, 3);
    }
    if (m >= 65 && m <= 79) {
      // Function B: n then n data bytes.
      if (buf.length < i + 4) return { kind: 'need' };
      const n = byteAt(buf, i + 3);
      if (buf.length < i + 4 + n) return { kind: 'need' };
      return done(i, 4 + n, { type: 'barcode', system: m, data: buf.slice(i + 4, i + 4 + n) });
    }
    return unknown(buf, i, 2);
  }

  /** `GS ( fn pL pH` then pL + 256·pH bytes: `GS ( k` (2D codes) is read, the rest skipped. */
  private parseGsParen(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 5) return { kind: 'need' };
    const fn = byteAt(buf, i + 2);
    const size = byteAt(buf, i + 3) + 256 * byteAt(buf, i + 4);
    if (fn !== 0x6b) return skipBody(5, size, `GS ( ${String.fromCharCode(fn)}`);
    return { kind: 'body', headerLength: 5, bodyLength: size, keep: true, finish: symbolCommand };
  }

  private parseTabStops(buf: Uint8Array, i: number): Step {
    const columns: number[] = [];
    for (let k = i + 2; k < buf.length; k++) {
      const b = byteAt(buf, k);
      // NUL ends the list; so does a position not greater than the one before (Epson).
      if (b === NUL || (columns.length > 0 && b <= (columns.at(-1) ?? 0))) {
        return done(i, k + 1 - i, { type: 'tab-stops', columns });
      }
      columns.push(b);
      if (columns.length === MAX_TAB_STOPS) return done(i, k + 1 - i, { type: 'tab-stops', columns });
    }
    return { kind: 'need' };
  }

  private parseUserCharacters(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 5) return { kind: 'need' };
    const y = byteAt(buf, i + 2);
    const c1 = byteAt(buf, i + 3);
    const c2 = byteAt(buf, i + 4);
    if (c2 < c1) return done(i, 5, ignore('ESC & (empty range)'));
    let k = i + 5;
    for (let c = c1; c <= c2; c++) {
      if (k - i > MAX_WALKED_COMMAND_BYTES) return unknown(buf, i, 2);
      if (buf.length < k + 1) return { kind: 'need' };
      k += 1 + y * byteAt(buf, k);
    }
    if (buf.length < k) return { kind: 'need' };
    return done(i, k - i, ignore('ESC &'));
  }

  private parseNvImages(buf: Uint8Array, i: number): Step {
    if (buf.length < i + 3) return { kind: 'need' };
    const count = byteAt(buf, i + 2);
    let k = i + 3;
    for (let n = 0; n < count; n++) {
      if (buf.length < k + 4) return { kind: 'need' };
      const x = byteAt(buf, k) + 256 * byteAt(buf, k + 1);
      const y = byteAt(buf, k + 2) + 256 * byteAt(buf, k + 3);
      k += 4 + x * y * 8;
      if (k - i > MAX_WALKED_COMMAND_BYTES) return unknown(buf, i, 2);
    }
    if (buf.length < k) return { kind: 'need' };
    return done(i, k - i, ignore('FS q'));
  }
}

/** Reads the body of a `GS ( k` command: cn, fn and parameters. */
function symbolCommand(body: Uint8Array, length: number): EscPosCommand {
  const cn = byteAt(body, 0);
  const fn = byteAt(body, 1);
  if (body.length < 2 || cn !== 0x31)
    return { type: 'ignored', name: `GS ( k cn=${hex(cn)}`, realTime: false, length };
  const n = byteAt(body, 2);
  switch (fn) {
    case 65: {
      const model = n === 49 ? 1 : n === 50 ? 2 : n === 51 ? 'micro' : undefined;
      if (model !== undefined && body.length >= 4) return { type: 'qr-model', model, length };
      break;
    }
    case 67:
      if (body.length >= 3 && n >= 1 && n <= 16) return { type: 'qr-module-size', dots: n, length };
      break;
    case 69: {
      const level = (['L', 'M', 'Q', 'H'] as const)[n - 48];
      if (body.length >= 3 && level) return { type: 'qr-error-correction', level, length };
      break;
    }
    case 80:
      if (body.length >= 3) return { type: 'qr-store', data: body.slice(3), length };
      break;
    case 81:
      return { type: 'qr-print', length };
  }
  return { type: 'ignored', name: `GS ( k QR fn=${fn}`, realTime: false, length };
}

function done(i: number, size: number, command: CommandBody): Step {
  return { kind: 'done', end: i + size, command: { ...command, length: size } as EscPosCommand };
}

function ignore(name: string): CommandBody {
  return { type: 'ignored', name, realTime: false };
}

/**
 * An unknown command of `size` bytes at `i`; if one of the bytes after the first is itself a command
 * prefix, stop before it, so that a real command after garbage is still framed.
 */
function unknown(buf: Uint8Array, i: number, size: number): Step {
  let end = i + 1;
  while (end < i + size && end < buf.length && !isPrefix(byteAt(buf, end))) end++;
  return { kind: 'done', end, command: { type: 'unknown', bytes: buf.slice(i, end), length: end - i } };
}

function skipBody(headerLength: number, bodyLength: number, name: string): Step {
  return {
    kind: 'body',
    headerLength,
    bodyLength,
    keep: false,
    finish: (_body, length) => ({ type: 'ignored', name, realTime: false, length }),
  };
}

function isPrefix(b: number): boolean {
  return b === ESC || b === GS || b === FS || b === DLE;
}

function byteAt(buf: Uint8Array, k: number): number {
  return buf[k] ?? 0;
}

function alignOf(n: number): Align | undefined {
  if (n === 0 || n === 48) return 'left';
  if (n === 1 || n === 49) return 'center';
  if (n === 2 || n === 50) return 'right';
  return undefined;
}

function fontOf(n: number): Font {
  if (n === 1 || n === 49) return 'B';
  if (n === 2 || n === 50) return 'C';
  return 'A';
}

function underlineDots(n: number): 0 | 1 | 2 {
  if (n === 1 || n === 49) return 1;
  if (n === 2 || n === 50) return 2;
  return 0;
}

function drawerPin(m: number): 2 | 5 | undefined {
  if (m === 0 || m === 48) return 2;
  if (m === 1 || m === 49) return 5;
  return undefined;
}

function gb18030(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes), 'gb18030');
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] ?? EMPTY;
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
