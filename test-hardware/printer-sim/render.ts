/**
 * Draws a simulated receipt as a PNG the way a thermal printer would lay it out: a character grid
 * (12×24-dot cells for font A, CJK characters two cells wide), QR codes drawn module by module from
 * their payload, raster images dot by dot, and a dashed line where the paper was cut.
 *
 * The QR codes are generated again from the payload with `qrcode`, so a QR decoder reading the PNG
 * checks the payload the driver stored, not a picture the driver drew.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import QRCode from 'qrcode';
import { PrinterSimError } from './errors.ts';
import type { Align, Font } from './escpos-parser.ts';
import {
  columnsOf,
  type Receipt,
  type ReceiptImage,
  type ReceiptLine,
  type ReceiptQr,
} from './receipt-model.ts';

/** Noto Sans CJK from the Debian package `fonts-noto-cjk`: it has every GB2312/GBK character. */
export const DEFAULT_FONT_PATH = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';

export interface RenderOptions {
  /** Print width in dots: 384 for 58 mm paper, 576 for 80 mm (203 dpi heads). */
  widthDots: 384 | 576;
  /** A TTF/OTF/TTC font with CJK glyphs; default `DEFAULT_FONT_PATH`. */
  fontPath?: string;
}

/** Character cell in dots, per font (Epson TM-T88: font A 12×24, font B 9×17; C as B). */
const CELLS: Record<Font, { width: number; height: number }> = {
  A: { width: 12, height: 24 },
  B: { width: 9, height: 17 },
  C: { width: 9, height: 17 },
};

/** Dots between text rows: Epson's default line spacing is 30 dots for a 24-dot font A row. */
const LINE_GAP_DOTS = 6;

/** Share of a glyph's em box below the baseline for Noto Sans CJK (descender 0.12 em). */
const DESCENT_EM = 0.12;

/** White paper above the first row and below the cut mark, so the image reads as a slip. */
const MARGIN_TOP_DOTS = 12;
const MARGIN_BOTTOM_DOTS = 16;

/** ISO/IEC 18004 asks for a quiet zone of 4 modules round a QR symbol. */
const QR_QUIET_ZONE_MODULES = 4;

/** Height of the stand-in drawn for a barcode (not a scannable symbol). */
const BARCODE_HEIGHT_DOTS = 48;

const INK = '#000000';
const PAPER = '#ffffff';

/** Registers the font under a name derived from its path (once per process) and returns that name. */
export function loadReceiptFont(fontPath: string = DEFAULT_FONT_PATH): string {
  const family = `printer-sim-${createHash('sha1').update(fontPath).digest('hex').slice(0, 12)}`;
  if (GlobalFonts.has(family)) return family;
  if (!fs.existsSync(fontPath)) {
    throw new PrinterSimError(
      'FONT_MISSING',
      `Cannot render receipts: the CJK font ${fontPath} is missing (install the Debian package fonts-noto-cjk)`,
    );
  }
  if (!GlobalFonts.registerFromPath(fontPath, family)) {
    throw new PrinterSimError(
      'FONT_MISSING',
      `Cannot render receipts: ${fontPath} is not a font the renderer can load (install the Debian package fonts-noto-cjk)`,
    );
  }
  return family;
}

/** One row of characters after wrapping at the paper width. */
interface Row {
  glyphs: Glyph[];
  align: Align;
  /** Dots from the row's top to its bottom text edge, and the advance to the next row. */
  height: number;
}

interface Glyph {
  ch: string;
  advance: number;
  cellHeight: number;
  fontPx: number;
  width: number;
  height: number;
  bold: boolean;
  underline: boolean;
  reverse: boolean;
}

type Block =
  | { kind: 'row'; row: Row }
  | { kind: 'qr'; qr: ReceiptQr; modules: QRCode.BitMatrix; moduleDots: number }
  | { kind: 'image'; image: ReceiptImage }
  | { kind: 'gap'; dots: number }
  | { kind: 'barcode'; data: string; system: number; align: Align };

/**
 * Renders `receipt` to PNG bytes. Throws `PrinterSimError` FONT_MISSING when the font cannot be
 * loaded. Lines longer than the paper wrap as on a printer; a QR wider than the paper is drawn with
 * smaller modules (a printer would not print it at all: the model still has the requested size).
 */
export function renderReceiptPng(receipt: Receipt, options: RenderOptions): Buffer {
  const family = loadReceiptFont(options.fontPath);
  const paper = options.widthDots;
  const blocks: Block[] = [];
  for (const element of receipt.elements) {
    switch (element.kind) {
      case 'line':
        for (const row of wrapLine(element.line, paper)) blocks.push({ kind: 'row', row });
        break;
      case 'qr': {
        const modules = qrModules(element.qr);
        const span = modules.size + 2 * QR_QUIET_ZONE_MODULES;
        const moduleDots = Math.max(1, Math.min(element.qr.moduleSize, Math.floor(paper / span)));
        blocks.push({ kind: 'qr', qr: element.qr, modules, moduleDots });
        break;
      }
      case 'image':
        blocks.push({ kind: 'image', image: element.image });
        break;
      case 'feed':
        blocks.push({ kind: 'gap', dots: element.dots });
        break;
      case 'barcode':
        blocks.push({ kind: 'barcode', ...element.barcode });
        break;
    }
  }

  const heights = blocks.map(blockHeight);
  const contentHeight = heights.reduce((sum, h) => sum + h, 0);
  const height = MARGIN_TOP_DOTS + contentHeight + MARGIN_BOTTOM_DOTS + (receipt.cut ? 8 : 0);
  const canvas = createCanvas(paper, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, paper, height);

  let y = MARGIN_TOP_DOTS;
  blocks.forEach((block, k) => {
    switch (block.kind) {
      case 'row':
        drawRow(ctx, block.row, y, paper, family);
        break;
      case 'qr':
        drawQr(ctx, block, y, paper);
        break;
      case 'image':
        drawImage(ctx, block.image, y, paper);
        break;
      case 'barcode':
        drawBarcode(ctx, block, y, paper, family);
        break;
      case 'gap':
        break;
    }
    y += heights[k] ?? 0;
  });

  if (receipt.cut) drawCut(ctx, receipt.cut, y + MARGIN_BOTTOM_DOTS, paper);
  return canvas.toBuffer('image/png');
}

function blockHeight(block: Block): number {
  switch (block.kind) {
    case 'row':
      return block.row.height + LINE_GAP_DOTS;
    case 'qr':
      return (block.modules.size + 2 * QR_QUIET_ZONE_MODULES) * block.moduleDots;
    case 'image':
      return block.image.height * block.image.scaleY;
    case 'gap':
      return block.dots;
    case 'barcode':
      return BARCODE_HEIGHT_DOTS + 24 + LINE_GAP_DOTS;
  }
}

/** Splits a line into rows of the printer's character grid, wrapping at the paper width. */
function wrapLine(line: ReceiptLine, paper: number): Row[] {
  const rows: Row[] = [];
  let glyphs: Glyph[] = [];
  let used = 0;
  const flush = (): void => {
    const height = glyphs.reduce((h, g) => Math.max(h, g.cellHeight * g.height), 0);
    rows.push({ glyphs, align: line.align, height: height || CELLS[line.font].height * line.height });
    glyphs = [];
    used = 0;
  };
  for (const span of line.spans) {
    const cell = CELLS[span.font];
    for (const ch of span.text) {
      const advance = columnsOf(ch) * cell.width * span.width;
      if (used + advance > paper && glyphs.length > 0) flush();
      glyphs.push({
        ch,
        advance,
        cellHeight: cell.height,
        fontPx: cell.height,
        width: span.width,
        height: span.height,
        bold: span.bold,
        underline: span.underline,
        reverse: span.reverse,
      });
      used += advance;
    }
  }
  if (glyphs.length > 0 || rows.length === 0) flush();
  return rows;
}

function alignedX(align: Align, width: number, paper: number): number {
  if (align === 'center') return Math.max(0, Math.floor((paper - width) / 2));
  if (align === 'right') return Math.max(0, paper - width);
  return 0;
}

function drawRow(ctx: SKRSContext2D, row: Row, top: number, paper: number, family: string): void {
  const total = row.glyphs.reduce((sum, g) => sum + g.advance, 0);
  let x = alignedX(row.align, total, paper);
  const bottom = top + row.height;
  for (const g of row.glyphs) {
    const cellTop = bottom - g.cellHeight * g.height;
    if (g.reverse) {
      ctx.fillStyle = INK;
      ctx.fillRect(x, cellTop, g.advance, g.cellHeight * g.height);
    }
    ctx.fillStyle = g.reverse ? PAPER : INK;
    ctx.font = `${g.fontPx}px "${family}"`;
    const natural = ctx.measureText(g.ch).width;
    // Squeeze a glyph wider than its cell (proportional Latin in a CJK font) into the printer's cell.
    const squeeze = natural > 0 ? Math.min(1, g.advance / g.width / natural) : 1;
    const drawn = natural * squeeze * g.width;
    const baseline = bottom - DESCENT_EM * g.fontPx * g.height;
    const strikes = g.bold ? [0, 1] : [0];
    for (const dx of strikes) {
      ctx.save();
      ctx.translate(x + (g.advance - drawn) / 2 + dx, baseline);
      ctx.scale(squeeze * g.width, g.height);
      ctx.fillText(g.ch, 0, 0);
      ctx.restore();
    }
    if (g.underline) ctx.fillRect(x, bottom - 2, g.advance, 2);
    x += g.advance;
  }
}

function qrModules(qr: ReceiptQr): QRCode.BitMatrix {
  // Byte mode with the stored bytes: the symbol carries exactly what the driver stored.
  return QRCode.create([{ data: qr.bytes, mode: 'byte' }], { errorCorrectionLevel: qr.errorCorrection })
    .modules;
}

function drawQr(
  ctx: SKRSContext2D,
  block: { qr: ReceiptQr; modules: QRCode.BitMatrix; moduleDots: number },
  top: number,
  paper: number,
): void {
  const { modules, moduleDots, qr } = block;
  const span = (modules.size + 2 * QR_QUIET_ZONE_MODULES) * moduleDots;
  const left = alignedX(qr.align, span, paper) + QR_QUIET_ZONE_MODULES * moduleDots;
  const y0 = top + QR_QUIET_ZONE_MODULES * moduleDots;
  ctx.fillStyle = INK;
  for (let r = 0; r < modules.size; r++) {
    for (let c = 0; c < modules.size; c++) {
      if (modules.get(r, c)) ctx.fillRect(left + c * moduleDots, y0 + r * moduleDots, moduleDots, moduleDots);
    }
  }
}

function drawImage(ctx: SKRSContext2D, image: ReceiptImage, top: number, paper: number): void {
  const w = image.widthDots * image.scaleX;
  const h = image.height * image.scaleY;
  if (w === 0 || h === 0) return;
  const pixels = ctx.createImageData(w, h);
  pixels.data.fill(255);
  image.rows.forEach((row, y) => {
    for (let x = 0; x < image.widthDots; x++) {
      if ((((row[x >> 3] ?? 0) >> (7 - (x & 7))) & 1) === 0) continue;
      for (let sy = 0; sy < image.scaleY; sy++) {
        for (let sx = 0; sx < image.scaleX; sx++) {
          const at = ((y * image.scaleY + sy) * w + x * image.scaleX + sx) * 4;
          pixels.data[at] = 0;
          pixels.data[at + 1] = 0;
          pixels.data[at + 2] = 0;
        }
      }
    }
  });
  // A printer drops dots past the print width; so does putImageData past the canvas.
  ctx.putImageData(pixels, alignedX(image.align, w, paper), top);
}

function drawBarcode(
  ctx: SKRSContext2D,
  barcode: { data: string; system: number; align: Align },
  top: number,
  paper: number,
  family: string,
): void {
  // A stand-in, not a scannable symbol: bars from the data bytes, and the data as text below.
  const bars = Buffer.from(barcode.data, 'latin1');
  const width = Math.min(paper, Math.max(48, bars.length * 8 + 16));
  const x0 = alignedX(barcode.align, width, paper);
  ctx.fillStyle = INK;
  ctx.fillRect(x0, top, 2, BARCODE_HEIGHT_DOTS);
  ctx.fillRect(x0 + width - 2, top, 2, BARCODE_HEIGHT_DOTS);
  bars.forEach((b, k) => {
    for (let bit = 0; bit < 8; bit++) {
      if ((b >> bit) & 1) ctx.fillRect(x0 + 8 + k * 8 + bit, top, 1, BARCODE_HEIGHT_DOTS);
    }
  });
  ctx.font = `16px "${family}"`;
  ctx.fillText(`${barcode.data} (GS k ${barcode.system})`, x0, top + BARCODE_HEIGHT_DOTS + 18);
}

function drawCut(ctx: SKRSContext2D, cut: 'full' | 'partial', y: number, paper: number): void {
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.setLineDash(cut === 'full' ? [10, 6] : [4, 6]);
  ctx.beginPath();
  if (cut === 'full') {
    ctx.moveTo(0, y);
    ctx.lineTo(paper, y);
  } else {
    // A partial cut leaves paper uncut in the middle.
    ctx.moveTo(0, y);
    ctx.lineTo(paper / 2 - 12, y);
    ctx.moveTo(paper / 2 + 12, y);
    ctx.lineTo(paper, y);
  }
  ctx.stroke();
  ctx.setLineDash([]);
}
