/**
 * What a receipt is before it becomes bytes: a list of blocks. Receipts (device/) build documents;
 * the ESC/POS encoder turns one into bytes for a printer profile. Nothing here knows ESC/POS.
 */
export type Align = 'left' | 'center' | 'right';

export type Block =
  /** Text, wrapped to the paper width; `size` multiplies width and height (1–3). */
  | { kind: 'text'; text: string; align?: Align; bold?: boolean; size?: 1 | 2 | 3 }
  /** A label on the left and a value on the right of one line. */
  | { kind: 'pair'; left: string; right: string; bold?: boolean }
  /** A full-width line of one character. */
  | { kind: 'rule'; char?: string }
  /** A QR code of an ASCII payload. */
  | { kind: 'qr'; data: string; align?: Align }
  | { kind: 'feed'; lines: number };

export interface PrintDocument {
  blocks: Block[];
  /** Feed and cut at the end (when the printer has a cutter; else feed only). */
  cut: boolean;
  /** Pulse the cash drawer (both pins) before printing. */
  drawer?: boolean;
  /**
   * Feed and cut before printing: a job printed again after it broke off midway starts clear of the
   * part already on the paper.
   */
  cutBefore?: boolean;
}

/**
 * Display width of a string in printer columns. In Chinese mode every non-ASCII character is a
 * double-byte character printed from the 24 × 24 font: two columns, whether it is 中, ￥, … or é.
 */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += columnsOf(ch);
  return w;
}

export function columnsOf(ch: string): 1 | 2 {
  return (ch.codePointAt(0) as number) < 0x80 ? 1 : 2;
}

/**
 * Wraps text to `columns` display columns: at spaces where it can, anywhere (between characters)
 * where it must, which is how Chinese text breaks anyway. Existing newlines are kept.
 */
export function wrap(text: string, columns: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let width = 0;
    let lastSpace = -1;
    for (const ch of paragraph) {
      const w = columnsOf(ch);
      if (width + w > columns) {
        if (lastSpace > 0 && ch !== ' ') {
          out.push(line.slice(0, lastSpace).trimEnd());
          line = line.slice(lastSpace + 1);
          width = displayWidth(line);
        } else {
          out.push(line.trimEnd());
          line = '';
          width = 0;
        }
        lastSpace = -1;
        if (ch === ' ') continue;
      }
      if (ch === ' ') lastSpace = line.length;
      line += ch;
      width += w;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** `left` and `right` on one line of `columns`, wrapping `left` when both don't fit. */
export function pairLines(left: string, right: string, columns: number): string[] {
  const rw = displayWidth(right);
  if (displayWidth(left) + 1 + rw <= columns) {
    return [`${left}${' '.repeat(columns - displayWidth(left) - rw)}${right}`];
  }
  const lines = wrap(left, columns);
  const last = lines.pop() ?? '';
  if (displayWidth(last) + 1 + rw <= columns) {
    return [...lines, `${last}${' '.repeat(columns - displayWidth(last) - rw)}${right}`];
  }
  return [...lines, last, `${' '.repeat(Math.max(0, columns - rw))}${right}`];
}
