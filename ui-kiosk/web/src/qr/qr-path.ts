/**
 * A QR symbol drawn as one SVG path: every run of dark modules in a row is one rectangle, in units
 * of one module, shifted by the quiet zone. One `<path>` element and no markup from a string: the
 * renderer's CSP allows no inline code and no data: URLs, and Preact renders the path like any
 * other attribute.
 */

/** A QR symbol's modules, as qrcode's encoder gives them: `size` × `size`, row by row, truthy = dark. */
export interface QrModules {
  size: number;
  data: ArrayLike<number | boolean>;
}

/**
 * The light margin around the symbol, in modules: 4, as ISO/IEC 18004 (section 5.3.8, "quiet
 * zone") requires; phone scanners miss a symbol drawn with less on a busy screen.
 */
export const QR_QUIET_ZONE = 4;

/** The side of the drawing, in modules: the symbol and its quiet zone on both sides. */
export function qrSide(modules: QrModules, margin = QR_QUIET_ZONE): number {
  return modules.size + 2 * margin;
}

/**
 * The path data of the dark modules: `M x y h n v1 h-n z` for each run of `n` dark modules in a
 * row, for a viewBox of `0 0 side side` ({@link qrSide}).
 */
export function qrPath(modules: QrModules, margin = QR_QUIET_ZONE): string {
  const { size, data } = modules;
  if (!Number.isInteger(size) || size < 1 || data.length !== size * size) {
    throw new RangeError(`QR modules: ${data.length} values for a ${size}×${size} symbol`);
  }
  const runs: string[] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col++;
      const length = col - start;
      runs.push(`M${start + margin} ${row + margin}h${length}v1h-${length}z`);
    }
  }
  return runs.join('');
}
