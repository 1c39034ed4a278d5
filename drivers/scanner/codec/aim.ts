/**
 * AIM symbology identifiers (ISO/IEC 15424): a scanner configured to send them puts three
 * characters before the data, `]` + a code letter + a modifier (`]Q1` QR, `]E0` EAN-13/UPC-A). HID POS
 * scanners carry them in their own report field; keyboard-wedge and serial scanners prefix them to
 * the data when the "transmit AIM ID" option is on.
 *
 * The table is data with the source of each entry; a code letter we do not know is reported as
 * `unknown`, never guessed.
 */

export const SYMBOLOGIES = [
  'qr',
  'gs1-qr',
  'ean-13',
  'ean-8',
  'code-128',
  'gs1-128',
  'code-39',
  'itf',
  'data-matrix',
  'gs1-data-matrix',
  'pdf417',
  'aztec',
  'unknown',
] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

/**
 * Code letter, then per modifier (or `*` for any modifier). From ISO/IEC 15424 as summarised in
 * FIELD-NOTES.md ("AIM identifiers", marked unverified there); Q3 and Q5 are the GS1 modes of QR
 * (ISO/IEC 18004 Annex F), z is Aztec.
 */
const AIM_TABLE: Readonly<Record<string, Readonly<Record<string, Symbology>>>> = {
  Q: { '0': 'qr', '1': 'qr', '2': 'qr', '3': 'gs1-qr', '4': 'qr', '5': 'gs1-qr', '6': 'qr' },
  E: { '0': 'ean-13', '3': 'ean-13', '4': 'ean-8' },
  C: { '0': 'code-128', '1': 'gs1-128', '2': 'code-128', '4': 'code-128' },
  A: { '*': 'code-39' },
  I: { '*': 'itf' },
  d: { '0': 'data-matrix', '1': 'data-matrix', '2': 'gs1-data-matrix', '3': 'data-matrix' },
  L: { '*': 'pdf417' },
  z: { '*': 'aztec' },
};

/** The symbology an identifier names ("]Q1" → qr), or `unknown`. */
export function symbologyOf(identifier: string): Symbology {
  if (identifier.length !== 3 || identifier[0] !== ']') return 'unknown';
  const row = AIM_TABLE[identifier[1] as string];
  if (!row) return 'unknown';
  return row[identifier[2] as string] ?? row['*'] ?? 'unknown';
}

const AIM_PREFIX = 0x5d; // ']'

/**
 * Splits a leading AIM identifier off scanned bytes. Only an identifier whose code letter is in the
 * table is taken (payment codes, Wi-Fi and activation texts never start with `]`), so data that
 * merely begins with `]` is left whole.
 */
export function splitAimPrefix(bytes: Uint8Array): { symbology: Symbology; data: Uint8Array; aim?: string } {
  if (bytes.length >= 3 && bytes[0] === AIM_PREFIX) {
    const aim = String.fromCharCode(bytes[0], bytes[1] as number, bytes[2] as number);
    const symbology = symbologyOf(aim);
    if (symbology !== 'unknown') return { symbology, data: bytes.subarray(3), aim };
  }
  return { symbology: 'unknown', data: bytes };
}
