/**
 * The one part of the `qrcode` package the renderer uses: its encoder (lib/core/qrcode.js), without
 * the package's canvas and string renderers (the kiosk draws the modules itself, see qr-path.ts).
 * Declared here rather than taken from @types/qrcode, whose typings begin with
 * `/// <reference types="node" />` and would bring Node's into the renderer past its boundary
 * (../../e2e/boundary.test.ts). Only what qr-symbol.ts reads is declared.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  export interface QrCreateOptions {
    /** L 7 %, M 15 %, Q 25 %, H 30 % of the symbol may be damaged and still read. */
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  }

  export interface QrCreated {
    /** The symbol's modules (no quiet zone): `size` × `size`, row by row, 1 = dark. */
    modules: { size: number; data: Uint8Array };
    /** The QR version (1–40) the text needed. */
    version: number;
  }

  /** Encodes `text`; throws when it does not fit in a QR code. */
  export function create(text: string, options?: QrCreateOptions): QrCreated;
}
