/**
 * Document → ESC/POS bytes for a printer profile. The commands come from node-thermal-printer
 * (Epson ESC/POS and Star families); what it gets wrong for this market is done here:
 * - Chinese text: GB18030 through iconv-lite inside the printer's Chinese mode (FS & … FS .), one
 *   line at a time. node-thermal-printer would pick a code page per character (EUC-CN at best) and
 *   never enters Chinese mode. Characters GB18030 encodes in four bytes don't print on these
 *   printers (FIELD-NOTES), so such a line, and any Chinese on a printer without a CJK font or on the
 *   Star family, is drawn as a picture (raster, GS v 0) with the terminal's CJK font.
 * - The cash drawer: node-thermal-printer 4.6 sends `ESC p 0` and `ESC p 1` without their pulse
 *   times, so the printer swallows the next command's bytes as t1/t2. Here both pins get a complete
 *   `ESC p m 25 25` (50 ms on, 50 ms off).
 * - Text is sanitised: a control character in a merchant name or a reason can't become a command.
 */
import iconv from 'iconv-lite';
import thermal from 'node-thermal-printer';
import QRCode from 'qrcode';
import { type Align, type Block, type PrintDocument, pairLines, wrap } from '../document.ts';
import { PrinterError } from '../errors.ts';
import type { PrinterProfile } from '../profiles.ts';
import { type Bitmap, renderTextBitmap, renderTextPng } from './raster-text.ts';

const FS_CHINESE_ON = Buffer.from([0x1c, 0x26]);
const FS_CHINESE_OFF = Buffer.from([0x1c, 0x2e]);
const LF = Buffer.from([0x0a]);
const GS_SIZE_NORMAL = Buffer.from([0x1d, 0x21, 0x00]);
/** Both drawer pins, 25 × 2 ms = 50 ms pulses: drawers wire either pin (FIELD-NOTES). */
export const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0x00, 0x19, 0x19, 0x1b, 0x70, 0x01, 0x19, 0x19]);
/**
 * A line of ASCII as one buffer: node-thermal-printer appends text a character at a time, copying its
 * whole buffer each time, which alone made a receipt take milliseconds to build.
 */
const asciiLine = (line: string) => Buffer.from(`${line}\n`, 'latin1');
/** Line feeds: plain LF means the same to both families (ESC d n is a cut in Star Line Mode). */
const feedLines = (n: number) => Buffer.alloc(Math.max(0, Math.min(20, n)), 0x0a);

/** A text block longer than this is a mistake upstream, not a receipt. */
export const MAX_TEXT_LENGTH = 4_000;

export interface EncodeOptions {
  /** CJK font for text drawn as pictures (default: Noto Sans CJK from fonts-noto-cjk). */
  fontPath?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const ASCII = /^[\u0020-\u007e]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function sanitise(text: string): string {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new PrinterError(
      'UNPRINTABLE',
      `A text of ${text.length} characters is too long for a receipt (at most ${MAX_TEXT_LENGTH}).`,
    );
  }
  if (LONE_SURROGATE.test(text)) {
    throw new PrinterError(
      'UNPRINTABLE',
      'The receipt text has a broken character (an unpaired UTF-16 surrogate).',
    );
  }
  // GB2312 has no U+00A5 (¥, four bytes in GB18030, so it would not print): Chinese printers write
  // the yuan sign as the fullwidth ￥ (A3 A4).
  return text.replace(CONTROL, ' ').replaceAll('\u00a5', '\uffe5');
}

/** Whether every character of the line is a one- or two-byte GB18030 character (prints natively). */
function nativeGb(line: string): boolean {
  for (const ch of line) {
    if ((ch.codePointAt(0) as number) < 0x80) continue;
    if (iconv.encode(ch, 'gb18030').length !== 2) return false;
  }
  return true;
}

/** The part of node-thermal-printer used here (its published types lack `initHardware`). */
interface Printer {
  initHardware(): void;
  add(buffer: Buffer): void;
  println(text: string): void;
  alignLeft(): void;
  alignCenter(): void;
  alignRight(): void;
  bold(enabled: boolean): void;
  setTextSize(height: number, width: number): void;
  setTextQuadArea(): void;
  setTextNormal(): void;
  openCashDrawer(): void;
  printQR(data: string, settings: { cellSize: number; correction: string; model: number }): void;
  printImageBuffer(png: Buffer): Promise<Buffer>;
  cut(options: { verticalTabAmount: number }): void;
  getBuffer(): Buffer;
}

/** A command builder only: with no `interface`, node-thermal-printer opens no connection. */
function builder(profile: PrinterProfile): Printer {
  const config = {
    type: profile.family === 'star' ? thermal.types.STAR : thermal.types.EPSON,
    width: profile.columns,
    breakLine: thermal.breakLine.NONE,
  };
  return new thermal.printer(
    config as ConstructorParameters<typeof thermal.printer>[0],
  ) as unknown as Printer;
}

function setAlign(p: Printer, align: Align | undefined): void {
  if (align === 'center') p.alignCenter();
  else if (align === 'right') p.alignRight();
  else p.alignLeft();
}

/** The QR module size in dots: about 4 cm wide on 80 mm paper for a UUID, 3 cm on 58 mm. */
function qrCell(profile: PrinterProfile): number {
  return profile.widthDots >= 576 ? 6 : 5;
}

export async function encodeDocument(
  doc: PrintDocument,
  profile: PrinterProfile,
  options: EncodeOptions = {},
): Promise<Buffer> {
  const p = builder(profile);
  p.initHardware();
  if (doc.drawer) {
    if (profile.family === 'star')
      p.openCashDrawer(); // Star's own pulse command is complete
    else p.add(DRAWER_KICK);
  }
  if (doc.cutBefore) {
    p.add(feedLines(profile.feedBeforeCut));
    if (profile.cutter) p.cut({ verticalTabAmount: 0 });
  }
  for (const block of doc.blocks) await encodeBlock(p, block, profile, options);
  if (doc.cut) {
    p.add(feedLines(profile.feedBeforeCut));
    if (profile.cutter) p.cut({ verticalTabAmount: 0 });
  }
  return p.getBuffer();
}

async function encodeBlock(
  p: Printer,
  block: Block,
  profile: PrinterProfile,
  options: EncodeOptions,
): Promise<void> {
  switch (block.kind) {
    case 'text': {
      const size = block.size ?? 1;
      setAlign(p, block.align);
      p.bold(Boolean(block.bold));
      // Epson scales with GS ! (×2, ×3); Star Line Mode has double width and height only.
      if (size > 1 && profile.family === 'epson') p.setTextSize(size - 1, size - 1);
      else if (size > 1) p.setTextQuadArea();
      for (const line of wrap(sanitise(block.text), Math.floor(profile.columns / size))) {
        await printLine(p, line, profile, options, {
          size,
          bold: Boolean(block.bold),
          align: block.align ?? 'left',
        });
      }
      // ESC ! 0 (node-thermal-printer's setTextNormal) resets the size of Latin text only; Chinese
      // characters keep the GS ! size. GS ! 0 resets both.
      if (size > 1 && profile.family === 'epson') p.add(GS_SIZE_NORMAL);
      else if (size > 1) p.setTextNormal();
      if (block.bold) p.bold(false);
      return;
    }
    case 'pair': {
      p.alignLeft();
      p.bold(Boolean(block.bold));
      for (const line of pairLines(sanitise(block.left), sanitise(block.right), profile.columns)) {
        await printLine(p, line, profile, options, { size: 1, bold: Boolean(block.bold), align: 'left' });
      }
      if (block.bold) p.bold(false);
      return;
    }
    case 'rule':
      p.alignLeft();
      p.add(
        asciiLine(
          (block.char ?? '-')
            .slice(0, 1)
            .replace(/[^\u0020-\u007e]/, '-')
            .repeat(profile.columns),
        ),
      );
      return;
    case 'feed':
      p.add(feedLines(block.lines));
      return;
    case 'qr': {
      if (!ASCII.test(block.data) || block.data.length === 0 || block.data.length > 500) {
        throw new PrinterError('UNPRINTABLE', 'A QR payload must be 1–500 printable ASCII characters.');
      }
      setAlign(p, block.align ?? 'center');
      if (profile.nativeQr) {
        p.printQR(block.data, { cellSize: qrCell(profile), correction: 'M', model: 2 });
        p.add(LF);
      } else {
        if (profile.family === 'star') {
          const png = await QRCode.toBuffer(block.data, {
            type: 'png',
            errorCorrectionLevel: 'M',
            margin: 2,
            scale: qrCell(profile),
          });
          await p.printImageBuffer(png);
        } else {
          p.add(rasterImage(qrBitmap(block.data, qrCell(profile))));
        }
      }
      p.alignLeft();
      return;
    }
  }
}

async function printLine(
  p: Printer,
  line: string,
  profile: PrinterProfile,
  options: EncodeOptions,
  style: { size: number; bold: boolean; align: Align },
): Promise<void> {
  if (ASCII.test(line)) {
    p.add(asciiLine(line));
    return;
  }
  if (profile.cjkFont && profile.family === 'epson' && nativeGb(line)) {
    p.add(Buffer.concat([FS_CHINESE_ON, iconv.encode(line, 'gb18030'), FS_CHINESE_OFF, LF]));
    return;
  }
  const textStyle = {
    widthDots: profile.widthDots,
    columns: profile.columns,
    ...style,
    fontPath: options.fontPath,
  };
  if (profile.family === 'star') await p.printImageBuffer(renderTextPng(line, textStyle));
  else p.add(rasterImage(renderTextBitmap(line, textStyle)));
}

/** A QR code as dots: `cell` dots a module, with a quiet zone of two modules. */
function qrBitmap(data: string, cell: number): Bitmap {
  const { modules } = QRCode.create(data, { errorCorrectionLevel: 'M' });
  const margin = 2;
  const side = (modules.size + 2 * margin) * cell;
  return {
    width: side,
    height: side,
    black: (x, y) => {
      const c = Math.floor(x / cell) - margin;
      const r = Math.floor(y / cell) - margin;
      return r >= 0 && c >= 0 && r < modules.size && c < modules.size && Boolean(modules.get(r, c));
    },
  };
}

/** Rows per GS v 0 command: printers limit a raster command's height; 240 is a multiple of 24. */
const RASTER_BAND = 240;

/**
 * A picture as ESC/POS raster (GS v 0), in bands. Printers look for real-time commands in every
 * byte they receive, image data too: a `10 04 n` in the dots would be answered as a status request
 * (shifting the answers the driver matches), `10 14` could pulse the drawer or clear the buffer. Such
 * a pair is broken by clearing the one dot of the 0x10 byte: invisible at 203 dpi.
 */
export function rasterImage(bitmap: Bitmap): Buffer {
  const bytesPerRow = Math.ceil(bitmap.width / 8);
  const parts: Buffer[] = [];
  for (let top = 0; top < bitmap.height; top += RASTER_BAND) {
    const rows = Math.min(RASTER_BAND, bitmap.height - top);
    const data = Buffer.alloc(bytesPerRow * rows);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < bitmap.width; x++) {
        if (!bitmap.black(x, top + y)) continue;
        const i = y * bytesPerRow + (x >> 3);
        data[i] = (data[i] as number) | (0x80 >> (x & 7));
      }
    }
    for (let i = 0; i + 1 < data.length; i++) {
      if (data[i] === 0x10 && REAL_TIME_SECOND.has(data[i + 1] as number)) data[i] = 0x00;
    }
    parts.push(
      Buffer.from([0x1d, 0x76, 0x30, 0x00, bytesPerRow & 0xff, bytesPerRow >> 8, rows & 0xff, rows >> 8]),
      data,
    );
  }
  return Buffer.concat(parts);
}

/** DLE EOT, DLE ENQ, DLE DC4: the real-time commands. */
const REAL_TIME_SECOND = new Set([0x04, 0x05, 0x14]);
