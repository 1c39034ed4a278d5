/**
 * ESC/POS byte builders for the simulator's own tests, written from the Epson reference (not taken
 * from the driver, which these tests must not trust).
 */
import iconv from 'iconv-lite';

export type Part = number | readonly number[] | Uint8Array | string;

/** Concatenates parts; a string is ASCII (each char one byte), a number one byte. */
export function bytes(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0) & 0xff);
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

export function gb18030(text: string): Uint8Array {
  return iconv.encode(text, 'gb18030');
}

export const INIT = [0x1b, 0x40];
export const LF = 0x0a;
export const CHINESE_ON = [0x1c, 0x26];
export const CHINESE_OFF = [0x1c, 0x2e];

export function align(n: number): number[] {
  return [0x1b, 0x61, n];
}
export function bold(on: boolean): number[] {
  return [0x1b, 0x45, on ? 1 : 0];
}
export function size(width: number, height: number): number[] {
  return [0x1d, 0x21, ((width - 1) << 4) | (height - 1)];
}
export function statusRequest(n: number): number[] {
  return [0x10, 0x04, n];
}
export function feedLines(n: number): number[] {
  return [0x1b, 0x64, n];
}
export function drawer(m: number, t1: number, t2: number): number[] {
  return [0x1b, 0x70, m, t1, t2];
}
export const CUT_PARTIAL_FEED = [0x1d, 0x56, 66, 0];
export const CUT_FULL = [0x1d, 0x56, 0];

/** `GS ( k` for a QR: model 2, module size, error correction, store, print. */
export function qr(
  payload: Uint8Array | string,
  options: { moduleSize?: number; level?: 48 | 49 | 50 | 51 } = {},
) {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const store = data.length + 3;
  return bytes(
    [0x1d, 0x28, 0x6b, 4, 0, 0x31, 65, 50, 0],
    [0x1d, 0x28, 0x6b, 3, 0, 0x31, 67, options.moduleSize ?? 3],
    [0x1d, 0x28, 0x6b, 3, 0, 0x31, 69, options.level ?? 48],
    [0x1d, 0x28, 0x6b, store & 0xff, store >> 8, 0x31, 80, 48],
    data,
    [0x1d, 0x28, 0x6b, 3, 0, 0x31, 81, 48],
  );
}

/** `GS v 0 0` with rows of `widthBytes` bytes each. */
export function raster(widthBytes: number, rows: number[][]): Uint8Array {
  return bytes([0x1d, 0x76, 0x30, 0, widthBytes, 0, rows.length & 0xff, rows.length >> 8], ...rows);
}

/** Splits `data` into chunks at the given positions (sorted, deduplicated, clamped). */
export function splitAt(data: Uint8Array, positions: number[]): Uint8Array[] {
  const cuts = [...new Set(positions.map((p) => Math.max(0, Math.min(data.length, p))))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    chunks.push(data.subarray(from, cut));
    from = cut;
  }
  return chunks;
}
