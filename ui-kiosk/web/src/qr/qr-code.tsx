/**
 * A text drawn as a QR code for a phone to scan: encoded by the `qrcode` package's encoder at error
 * correction level M (15 % may be lost: a glare on the screen, a smudge), drawn as one SVG path
 * (qr-path.ts) black on white, as large as its box. The box gives the size; the drawing keeps its
 * modules square and sharp at any size.
 */
import { useMemo } from 'preact/hooks';
import { create } from 'qrcode/lib/core/qrcode.js';
import { qrPath, qrSide } from './qr-path.ts';

interface Props {
  text: string;
  /** What the code is, for a screen reader (the text itself is for the wallet, not for people). */
  label: string;
  class?: string;
}

export function QrCode({ text, label, class: className }: Props) {
  const drawing = useMemo(() => {
    const { modules } = create(text, { errorCorrectionLevel: 'M' });
    return { side: qrSide(modules), path: qrPath(modules) };
  }, [text]);
  return (
    <svg
      class={className ? `qr-code ${className}` : 'qr-code'}
      viewBox={`0 0 ${drawing.side} ${drawing.side}`}
      role="img"
      aria-label={label}
    >
      <path d={drawing.path} fill="#000" shape-rendering="crispEdges" />
    </svg>
  );
}
