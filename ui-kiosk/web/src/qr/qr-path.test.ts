import jsQR from 'jsqr';
import { create } from 'qrcode/lib/core/qrcode.js';
import { describe, expect, test } from 'vitest';
import { QR_QUIET_ZONE, type QrModules, qrPath, qrSide } from './qr-path.ts';

/** Modules from rows of text: '#' dark, '.' light. */
function modules(...rows: string[]): QrModules {
  return { size: rows.length, data: rows.flatMap((row) => [...row].map((c) => (c === '#' ? 1 : 0))) };
}

/** The path's rectangles, back to a set of "x,y" cells: the path drawn on a grid of modules. */
function cells(path: string): Set<string> {
  const filled = new Set<string>();
  for (const [, x, y, h] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(h); i++) filled.add(`${Number(x) + i},${y}`);
  }
  // Nothing in the path but those rectangles.
  expect(path.replace(/M\d+ \d+h(\d+)v1h-\1z/g, '')).toBe('');
  return filled;
}

/** The drawing as an RGBA picture, `scale` pixels a module, black on white. */
function raster(symbol: QrModules, scale: number): { data: Uint8ClampedArray; side: number } {
  const side = qrSide(symbol) * scale;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const cell of cells(qrPath(symbol))) {
    const [x, y] = cell.split(',').map(Number) as [number, number];
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = ((y * scale + dy) * side + x * scale + dx) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
    }
  }
  return { data, side };
}

describe('a QR symbol drawn as one path', () => {
  test('is one rectangle per run of dark modules in a row, shifted by the quiet zone', () => {
    expect(qrPath(modules('##.', '.#.', '###'), 0)).toBe('M0 0h2v1h-2zM1 1h1v1h-1zM0 2h3v1h-3z');
    expect(qrPath(modules('#.#', '...', '..#'), 1)).toBe('M1 1h1v1h-1zM3 1h1v1h-1zM3 3h1v1h-1z');
    expect(qrPath(modules('...', '...', '...'))).toBe('');
    expect(qrSide(modules('#'))).toBe(1 + 2 * QR_QUIET_ZONE);
  });

  test('covers exactly the dark modules of a real symbol', () => {
    const symbol = create('suanpan://order/6f1c2a9e-3b4d-4c8e-9a1f-2d3e4f5a6b7c', {
      errorCorrectionLevel: 'M',
    }).modules;
    const dark = new Set<string>();
    for (let row = 0; row < symbol.size; row++) {
      for (let col = 0; col < symbol.size; col++) {
        if (symbol.data[row * symbol.size + col]) dark.add(`${col + QR_QUIET_ZONE},${row + QR_QUIET_ZONE}`);
      }
    }
    expect(cells(qrPath(symbol))).toEqual(dark);
  });

  test('reads back as the text it was made from (a QR decoder on the drawing)', () => {
    for (const text of ['suanpan://order/6f1c2a9e-3b4d-4c8e-9a1f-2d3e4f5a6b7c', 'x', '收款 ¥12.50']) {
      const { data, side } = raster(create(text, { errorCorrectionLevel: 'M' }).modules, 4);
      expect(jsQR(data, side, side)?.data).toBe(text);
    }
  });

  test('refuses modules that are not a square of the size given', () => {
    expect(() => qrPath({ size: 3, data: [1, 0, 1] })).toThrow(RangeError);
    expect(() => qrPath({ size: 0, data: [] })).toThrow(RangeError);
  });
});
