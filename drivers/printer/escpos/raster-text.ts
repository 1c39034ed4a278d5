/**
 * A line of text drawn as a 1-bit picture, for printers that can't print it themselves (no CJK
 * font, four-byte GB18030 characters, the Star family). Uses the terminal's CJK font.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

/** @napi-rs/canvas (a native module, about 25 MB) is loaded on the first drawing, not at import. */
let canvasModule: typeof import('@napi-rs/canvas') | undefined;
export function napiCanvas(): typeof import('@napi-rs/canvas') {
  canvasModule ??= createRequire(import.meta.url)('@napi-rs/canvas') as typeof import('@napi-rs/canvas');
  return canvasModule;
}

import type { Align } from '../document.ts';
import { PrinterError } from '../errors.ts';

/** Debian's fonts-noto-cjk; the first that exists is used. */
export const CJK_FONT_PATHS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
];
/** Font A on a 203 dpi head is 12 × 24 dots; a picture line matches its height. */
const LINE_DOTS = 24;

export function findCjkFont(explicit?: string): string | undefined {
  if (explicit) return fs.existsSync(explicit) ? explicit : undefined;
  return CJK_FONT_PATHS.find((p) => fs.existsSync(p));
}

/**
 * Registers the CJK font (once per file) and returns its family name. The registry is the canvas
 * library's process-wide one, so the family is named after the file: a font registered for one
 * path is never taken for another, and an explicit `fontPath` that is missing (or is no font) is
 * reported as FONT_MISSING even after another font was registered.
 */
export function cjkFontFamily(fontPath?: string): string {
  const path = findCjkFont(fontPath);
  if (!path) {
    throw new PrinterError(
      'FONT_MISSING',
      `No CJK font at ${fontPath ?? CJK_FONT_PATHS.join(' or ')}: install the Debian package fonts-noto-cjk.`,
    );
  }
  const family = `Suanpan CJK ${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
  const { GlobalFonts } = napiCanvas();
  if (!GlobalFonts.has(family) && !GlobalFonts.registerFromPath(path, family)) {
    throw new PrinterError(
      'FONT_MISSING',
      `${path} is not a font the canvas library can load: install fonts-noto-cjk.`,
    );
  }
  return family;
}

/** A 1-bit picture: `black(x, y)` for each dot. */
export interface Bitmap {
  width: number;
  height: number;
  black(x: number, y: number): boolean;
}

type TextStyle = {
  widthDots: number;
  columns: number;
  size: number;
  bold: boolean;
  align: Align;
  fontPath?: string;
};

function drawText(text: string, style: TextStyle) {
  const family = cjkFontFamily(style.fontPath);
  const height = LINE_DOTS * style.size;
  const canvas = napiCanvas().createCanvas(style.widthDots, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, style.widthDots, height);
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'middle';
  ctx.font = `${style.bold ? 'bold ' : ''}${Math.round(height * 0.9)}px "${family}"`;
  const width = ctx.measureText(text).width;
  const x =
    style.align === 'center'
      ? (style.widthDots - width) / 2
      : style.align === 'right'
        ? style.widthDots - width
        : 0;
  ctx.fillText(text, Math.max(0, x), height / 2);
  return { canvas, ctx, height };
}

/** The line as a PNG (for printers whose pictures go through node-thermal-printer: Star). */
export function renderTextPng(text: string, style: TextStyle): Buffer {
  return drawText(text, style).canvas.toBuffer('image/png');
}

/** The line as dots: a dot is black where the drawing is darker than mid-grey. */
export function renderTextBitmap(text: string, style: TextStyle): Bitmap {
  const { ctx, height } = drawText(text, style);
  const { data } = ctx.getImageData(0, 0, style.widthDots, height);
  return {
    width: style.widthDots,
    height,
    black: (x, y) => {
      const i = (y * style.widthDots + x) * 4;
      return (data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number) < 384;
    },
  };
}
