/**
 * The first gate of routing: is what the scanner sent text at all? Bytes that are too long, not
 * UTF-8, empty or carrying control characters are refused here with a reason, and nothing later
 * sees them. Refused input is never repaired (no replacement characters, no trimming, no BOM
 * stripping): a payment code that arrives damaged must not become a different payment code.
 */

/**
 * The longest scan routed, in bytes. A QR code holds at most 2953 bytes in byte mode (version 40-L)
 * and nothing Suanpan routes comes near that; 4 KiB bounds the memory a faulty or hostile
 * scanner can make the host spend on one scan.
 */
export const MAX_SCAN_BYTES = 4096;

export type ScanText = { ok: true; text: string } | { ok: false; reason: string };

const C0_NAMES =
  'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(
    ' ',
  );

/** Strict: `fatal` refuses malformed bytes; `ignoreBOM` keeps a leading U+FEFF rather than dropping it. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The scan's bytes as text, or the reason they are refused:
 * - more than {@link MAX_SCAN_BYTES} bytes ("too long");
 * - empty;
 * - not valid UTF-8 (WHATWG rules: no overlong forms, surrogates or truncated sequences), naming
 *   the offset of the first bad byte;
 * - any control character, C0 (U+0000–U+001F), DEL (U+007F) or C1 (U+0080–U+009F), named as
 *   e.g. U+001D with its position (1-based, in characters).
 * A leading byte-order mark is kept as U+FEFF, so the text is exactly what was sent.
 */
export function scanText(bytes: Uint8Array): ScanText {
  if (bytes.length > MAX_SCAN_BYTES) {
    return refuse(
      `The scan is too long: ${bytes.length} bytes, and the longest accepted is ${MAX_SCAN_BYTES} bytes (4 KiB). Nothing the terminal routes is that long; check the scanner's suffix and framing settings.`,
    );
  }
  if (bytes.length === 0) {
    return refuse('The scan is empty: the scanner sent an end of scan with no data.');
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const byte = (bytes[bad] as number).toString(16).toUpperCase().padStart(2, '0');
    return refuse(
      `The scan is not valid UTF-8 text: the byte 0x${byte} at offset ${bad} does not start a complete UTF-8 character. Set the scanner to send UTF-8 (not GBK/GB18030 or a code page).`,
    );
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    // Unreachable while firstInvalidUtf8 agrees with the decoder (a property test checks it).
    return refuse('The scan is not valid UTF-8 text. Set the scanner to send UTF-8.');
  }
  let position = 0;
  for (const char of text) {
    position += 1;
    const cp = char.codePointAt(0) as number;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) {
      return refuse(
        `The scan contains the control character ${controlName(cp)} at position ${position}; scans with control characters are refused, not guessed.${controlHint(cp)}`,
      );
    }
  }
  return { ok: true, text };
}

function refuse(reason: string): ScanText {
  return { ok: false, reason };
}

function controlName(cp: number): string {
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = cp <= 0x1f ? C0_NAMES[cp] : cp === 0x7f ? 'DEL' : undefined;
  return name ? `${code} (${name})` : code;
}

function controlHint(cp: number): string {
  if (cp === 0x0d || cp === 0x0a)
    return " A line ending inside the data: check the scanner's suffix setting.";
  if (cp === 0x1d) return ' GS separates fields in GS1 barcodes, which the terminal does not route.';
  return '';
}

/**
 * Offset of the first byte that does not begin a well-formed UTF-8 sequence (the WHATWG decoder's
 * rules: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // Length of the sequence and the allowed range of its second byte (Unicode Table 3-7).
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1] as number;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k] as number;
      if (next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}
