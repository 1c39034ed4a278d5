/**
 * What the simulated printer put on paper: receipts of lines, QR codes, raster images and barcodes,
 * built command by command from the framed ESC/POS stream (`escpos-parser.ts`). Pure: no I/O.
 */
import type { Align, EscPosCommand, Font, QrErrorCorrection } from './escpos-parser.ts';

/** The character style in force when a character was printed. */
export interface TextStyle {
  /** `ESC E`, `ESC G` or `ESC !` bit 3. */
  bold: boolean;
  /** `ESC -` or `ESC !` bit 7 (1 or 2 dots: both true). */
  underline: boolean;
  /** Character width multiplier, 1..8 (`GS !`, `ESC !` bit 5). */
  width: number;
  /** Character height multiplier, 1..8 (`GS !`, `ESC !` bit 4). */
  height: number;
  /** White on black, `GS B`. */
  reverse: boolean;
  font: Font;
}

/** A run of characters of one style within a line. */
export interface TextSpan extends TextStyle {
  text: string;
}

/**
 * One printed line. Its style fields are those of its first character (or, for an empty line, the
 * style in force when it was fed); `spans` holds every style change within the line, and `text` is
 * the whole line. `align` is the alignment in force at the line's first character: Epson applies
 * `ESC a` only at the beginning of a line.
 */
export interface ReceiptLine extends TextStyle {
  text: string;
  align: Align;
  spans: TextSpan[];
}

export interface ReceiptQr {
  /** The stored symbol data, decoded as UTF-8 (exact for ASCII payloads). */
  data: string;
  /** The stored symbol data as sent. */
  bytes: Uint8Array;
  /** Dots per module, 1..16 (`GS ( k` fn 67; printer default 3). */
  moduleSize: number;
  errorCorrection: QrErrorCorrection;
  model: 1 | 2 | 'micro';
  align: Align;
}

export interface ReceiptImage {
  /** Width in dots: width in bytes × 8. */
  widthDots: number;
  height: number;
  /** One row per dot line, `widthDots / 8` bytes each, most significant bit leftmost, 1 = black. */
  rows: Uint8Array[];
  /** `GS v 0` mode: 1 normal, 2 for double width (m = 1, 3) or double height (m = 2, 3). */
  scaleX: 1 | 2;
  scaleY: 1 | 2;
  align: Align;
}

export interface ReceiptBarcode {
  /** `GS k` m: 0..6 (NUL-terminated form) or 65..79 (length form). */
  system: number;
  /** Data bytes as Latin-1 text. */
  data: string;
  align: Align;
}

/** Receipt content in paper order, for renderers. The objects are those of the receipt's arrays. */
export type ReceiptElement =
  | { kind: 'line'; line: ReceiptLine }
  | { kind: 'qr'; qr: ReceiptQr }
  | { kind: 'image'; image: ReceiptImage }
  | { kind: 'barcode'; barcode: ReceiptBarcode }
  /** `ESC J n`: paper fed by n dots without a line. */
  | { kind: 'feed'; dots: number };

export interface Receipt {
  /** 0 for the first receipt since the printer was started. */
  index: number;
  lines: ReceiptLine[];
  qrs: ReceiptQr[];
  images: ReceiptImage[];
  barcodes: ReceiptBarcode[];
  elements: ReceiptElement[];
  /** How it was cut off; undefined for the receipt still being printed. */
  cut: 'full' | 'partial' | undefined;
}

/** A drawer kick: `ESC p` (or real-time `DLE DC4 1`). */
export interface DrawerPulse {
  pin: 2 | 5;
  onMs: number;
  offMs: number;
  /** Index of the receipt being printed when the pulse was sent (before or after its cut). */
  receiptIndex: number;
}

/** Something the builder noticed that a driver author would want to know. */
export type BuilderNotice =
  | { type: 'receipt'; receipt: Receipt }
  | { type: 'drawer-pulse'; pulse: DrawerPulse }
  | { type: 'auto-status-back'; mask: number }
  | { type: 'warning'; message: string };

/** Default column positions of tab stops: every 8 characters (Epson's power-up setting). */
const DEFAULT_TAB_WIDTH = 8;

/** QR defaults of an Epson printer after power-up or `ESC @`: model 2, 3-dot modules, level L. */
const QR_DEFAULTS = { model: 2, moduleSize: 3, errorCorrection: 'L' } as const;

interface StyleState {
  emphasized: boolean;
  doubleStrike: boolean;
  underline: boolean;
  width: number;
  height: number;
  reverse: boolean;
  font: Font;
  align: Align;
  tabStops: number[] | undefined;
}

interface QrState {
  model: 1 | 2 | 'micro';
  moduleSize: number;
  errorCorrection: QrErrorCorrection;
  data: Uint8Array | undefined;
}

interface OpenLine {
  spans: TextSpan[];
  align: Align;
  /** Character columns so far (CJK characters count 2), for tab stops. */
  columns: number;
}

function initialStyle(): StyleState {
  return {
    emphasized: false,
    doubleStrike: false,
    underline: false,
    width: 1,
    height: 1,
    reverse: false,
    font: 'A',
    align: 'left',
    tabStops: undefined,
  };
}

function emptyReceipt(index: number): Receipt {
  return { index, lines: [], qrs: [], images: [], barcodes: [], elements: [], cut: undefined };
}

/**
 * Applies framed commands to the paper model. `apply` returns what happened that a caller may act
 * on (a receipt cut off, a drawer pulse …). Commands that only matter to framing (code page, Chinese
 * mode) or that are not modelled change nothing here.
 */
export class ReceiptBuilder {
  private readonly done: Receipt[] = [];
  private readonly pulses: DrawerPulse[] = [];
  private current: Receipt = emptyReceipt(0);
  private style: StyleState = initialStyle();
  private qr: QrState = { ...QR_DEFAULTS, data: undefined };
  private line: OpenLine | undefined;

  /** Receipts cut off so far, oldest first. */
  get receipts(): readonly Receipt[] {
    return this.done;
  }

  /** The receipt being printed: every line, symbol and image committed since the last cut. */
  get pending(): Receipt {
    return this.current;
  }

  /** Text received since the last line feed, not yet printed. */
  get currentLine(): string {
    return this.line ? this.line.spans.map((s) => s.text).join('') : '';
  }

  get drawerPulses(): readonly DrawerPulse[] {
    return this.pulses;
  }

  apply(command: EscPosCommand): BuilderNotice[] {
    const notices: BuilderNotice[] = [];
    const s = this.style;
    switch (command.type) {
      case 'text':
        this.addText(command.text);
        break;
      case 'tab':
        this.tab();
        break;
      case 'feed-lines':
        if (command.lines === 0) {
          this.commitIfOpen();
        } else {
          // ESC d n prints the line buffer and feeds n lines: the line and n - 1 blank lines.
          for (let n = 0; n < command.lines; n++) this.commitLine();
        }
        break;
      case 'feed-dots':
        this.commitIfOpen();
        if (command.dots > 0) this.current.elements.push({ kind: 'feed', dots: command.dots });
        break;
      case 'init':
        if (this.line)
          notices.push({ type: 'warning', message: `ESC @ discarded unprinted text "${this.currentLine}"` });
        this.line = undefined;
        this.style = initialStyle();
        this.qr = { ...QR_DEFAULTS, data: undefined };
        break;
      case 'align':
        s.align = command.align;
        break;
      case 'emphasized':
        s.emphasized = command.on;
        break;
      case 'double-strike':
        s.doubleStrike = command.on;
        break;
      case 'underline':
        s.underline = command.dots > 0;
        break;
      case 'char-size':
        s.width = command.width;
        s.height = command.height;
        break;
      case 'print-mode':
        // ESC ! and GS ! set the same multipliers: the command processed last wins (Epson).
        s.font = command.mode & 0x01 ? 'B' : 'A';
        s.emphasized = (command.mode & 0x08) !== 0;
        s.height = command.mode & 0x10 ? 2 : 1;
        s.width = command.mode & 0x20 ? 2 : 1;
        s.underline = (command.mode & 0x80) !== 0;
        break;
      case 'font':
        s.font = command.font;
        break;
      case 'reverse':
        s.reverse = command.on;
        break;
      case 'tab-stops':
        s.tabStops = command.columns.length > 0 ? command.columns : [];
        break;
      case 'auto-status-back':
        notices.push({ type: 'auto-status-back', mask: command.mask });
        break;
      case 'qr-model':
        this.qr.model = command.model;
        break;
      case 'qr-module-size':
        this.qr.moduleSize = command.dots;
        break;
      case 'qr-error-correction':
        this.qr.errorCorrection = command.level;
        break;
      case 'qr-store':
        this.qr.data = command.data;
        break;
      case 'qr-print':
        this.printQr(notices);
        break;
      case 'raster':
        this.printRaster(command);
        break;
      case 'barcode': {
        this.commitIfOpen();
        const barcode: ReceiptBarcode = {
          system: command.system,
          data: Buffer.from(command.data).toString('latin1'),
          align: s.align,
        };
        this.current.barcodes.push(barcode);
        this.current.elements.push({ kind: 'barcode', barcode });
        break;
      }
      case 'cut': {
        this.commitIfOpen();
        const receipt = this.current;
        receipt.cut = command.cut;
        this.done.push(receipt);
        this.current = emptyReceipt(this.done.length);
        notices.push({ type: 'receipt', receipt });
        break;
      }
      case 'drawer-pulse': {
        const pulse: DrawerPulse = {
          pin: command.pin,
          onMs: command.onMs,
          offMs: command.offMs,
          receiptIndex: this.current.index,
        };
        this.pulses.push(pulse);
        notices.push({ type: 'drawer-pulse', pulse });
        break;
      }
      default:
        // Framing-only or unmodelled commands (code page, Chinese mode, spacing, margins, status
        // requests, ignored and unknown bytes): nothing changes on paper.
        break;
    }
    return notices;
  }

  private get textStyle(): TextStyle {
    const s = this.style;
    return {
      bold: s.emphasized || s.doubleStrike,
      underline: s.underline,
      width: s.width,
      height: s.height,
      reverse: s.reverse,
      font: s.font,
    };
  }

  private addText(text: string): void {
    const style = this.textStyle;
    if (!this.line) this.line = { spans: [], align: this.style.align, columns: 0 };
    const last = this.line.spans.at(-1);
    if (last && sameStyle(last, style)) last.text += text;
    else this.line.spans.push({ ...style, text });
    for (const ch of text) this.line.columns += columnsOf(ch);
  }

  private tab(): void {
    const column = this.line?.columns ?? 0;
    const stops = this.style.tabStops;
    let next: number | undefined;
    if (stops === undefined) next = (Math.floor(column / DEFAULT_TAB_WIDTH) + 1) * DEFAULT_TAB_WIDTH;
    else next = stops.find((stop) => stop > column);
    // With no further tab stop, Epson ignores HT.
    if (next !== undefined) this.addText(' '.repeat(next - column));
  }

  private commitIfOpen(): void {
    if (this.line) this.commitLine();
  }

  private commitLine(): void {
    const open = this.line;
    const style = open?.spans[0] ?? this.textStyle;
    const line: ReceiptLine = {
      text: open ? open.spans.map((span) => span.text).join('') : '',
      align: open?.align ?? this.style.align,
      bold: style.bold,
      underline: style.underline,
      width: style.width,
      height: style.height,
      reverse: style.reverse,
      font: style.font,
      spans: open?.spans ?? [],
    };
    this.line = undefined;
    this.current.lines.push(line);
    this.current.elements.push({ kind: 'line', line });
  }

  private printQr(notices: BuilderNotice[]): void {
    const data = this.qr.data;
    if (!data || data.length === 0) {
      // Epson: printing with no stored data prints nothing.
      notices.push({ type: 'warning', message: 'GS ( k print (fn 81) with no QR data stored' });
      return;
    }
    this.commitIfOpen();
    const qr: ReceiptQr = {
      data: Buffer.from(data).toString('utf8'),
      bytes: data,
      moduleSize: this.qr.moduleSize,
      errorCorrection: this.qr.errorCorrection,
      model: this.qr.model,
      align: this.style.align,
    };
    this.current.qrs.push(qr);
    this.current.elements.push({ kind: 'qr', qr });
  }

  private printRaster(command: Extract<EscPosCommand, { type: 'raster' }>): void {
    this.commitIfOpen();
    const rows: Uint8Array[] = [];
    for (let y = 0; y < command.height; y++) {
      rows.push(command.data.slice(y * command.widthBytes, (y + 1) * command.widthBytes));
    }
    const m = command.mode;
    const image: ReceiptImage = {
      widthDots: command.widthBytes * 8,
      height: command.height,
      rows,
      scaleX: m === 1 || m === 3 || m === 49 || m === 51 ? 2 : 1,
      scaleY: m === 2 || m === 3 || m === 50 || m === 51 ? 2 : 1,
      align: this.style.align,
    };
    this.current.images.push(image);
    this.current.elements.push({ kind: 'image', image });
  }
}

function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return (
    a.bold === b.bold &&
    a.underline === b.underline &&
    a.width === b.width &&
    a.height === b.height &&
    a.reverse === b.reverse &&
    a.font === b.font
  );
}

/** Columns a character takes in the printer's grid: CJK and full-width forms take two. */
export function columnsOf(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  return cp >= 0x2e80 ? 2 : 1;
}
