/**
 * A print document drawn as a PNG, as the paper would look: for `suanpan receipt --png`, the kiosk's
 * receipt preview, and people reviewing a layout. Draws the document, not ESC/POS bytes (the printer
 * simulator in test-hardware/ renders what a printer received).
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import QRCode from 'qrcode';
import type { PrintDocument } from './document.ts';
import { type Block, pairLines, wrap } from './document.ts';
import { cjkFontFamily, napiCanvas } from './escpos/raster-text.ts';
import type { PrinterProfile } from './profiles.ts';

const LINE = 28;
const MARGIN = 12;

export function renderDocumentPng(
  doc: PrintDocument,
  profile: PrinterProfile,
  options: { fontPath?: string } = {},
): Buffer {
  // Throws FONT_MISSING for a missing font, even one asked for after another was registered.
  const family = cjkFontFamily(options.fontPath);
  const width = profile.widthDots + 2 * MARGIN;
  type Op = { h: number; draw: (ctx: SKRSContext2D, y: number) => void };
  const ops: Op[] = [];
  const textOp = (line: string, size: number, bold: boolean, align: string): Op => ({
    h: LINE * size,
    draw: (ctx, y) => {
      ctx.font = `${bold ? 'bold ' : ''}${Math.round(LINE * size * 0.8)}px "${family}"`;
      const w = ctx.measureText(line).width;
      const x = align === 'center' ? (width - w) / 2 : align === 'right' ? width - MARGIN - w : MARGIN;
      ctx.fillText(line, x, y + LINE * size * 0.8);
    },
  });
  for (const block of doc.blocks as Block[]) {
    if (block.kind === 'text') {
      const size = block.size ?? 1;
      for (const l of wrap(block.text, Math.floor(profile.columns / size)))
        ops.push(textOp(l, size, Boolean(block.bold), block.align ?? 'left'));
    } else if (block.kind === 'pair') {
      // The printer pads with spaces in a fixed-width font; here the label goes left and the value
      // right, on the same line as the printer puts them.
      const lines = pairLines(block.left, block.right, profile.columns);
      const last = lines.pop() ?? '';
      for (const l of lines) ops.push(textOp(l, 1, Boolean(block.bold), 'left'));
      const label = textOp(
        last.slice(0, last.length - block.right.length).trimEnd(),
        1,
        Boolean(block.bold),
        'left',
      );
      const value = textOp(block.right, 1, Boolean(block.bold), 'right');
      ops.push({
        h: LINE,
        draw: (ctx, y) => {
          label.draw(ctx, y);
          value.draw(ctx, y);
        },
      });
    } else if (block.kind === 'rule') {
      ops.push({ h: LINE, draw: (ctx, y) => ctx.fillRect(MARGIN, y + LINE / 2, width - 2 * MARGIN, 1) });
    } else if (block.kind === 'feed') {
      ops.push({ h: LINE * block.lines, draw: () => {} });
    } else if (block.kind === 'qr') {
      const qr = QRCode.create(block.data, { errorCorrectionLevel: 'M' });
      const n = qr.modules.size;
      const scale = Math.max(3, Math.floor(Math.min(240, profile.widthDots / 2) / (n + 8)));
      const side = (n + 8) * scale;
      ops.push({
        h: side,
        draw: (ctx, y) => {
          const x0 =
            block.align === 'left'
              ? MARGIN
              : block.align === 'right'
                ? width - MARGIN - side
                : (width - side) / 2;
          for (let r = 0; r < n; r++) {
            for (let c = 0; c < n; c++) {
              if (qr.modules.get(r, c)) ctx.fillRect(x0 + (c + 4) * scale, y + (r + 4) * scale, scale, scale);
            }
          }
        },
      });
    }
  }
  const height = ops.reduce((a, o) => a + o.h, 0) + 2 * MARGIN + (doc.cut ? LINE : 0);
  const canvas = napiCanvas().createCanvas(width, Math.ceil(height));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000';
  let y = MARGIN;
  for (const op of ops) {
    op.draw(ctx, y);
    y += op.h;
  }
  if (doc.cut) {
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(0, y + LINE / 2);
    ctx.lineTo(width, y + LINE / 2);
    ctx.stroke();
  }
  return canvas.toBuffer('image/png');
}
