/**
 * Real-time status and its answers, one byte per request.
 * - Epson ESC/POS: DLE EOT n (10 04 n), answered even when the printer is offline or in error.
 *   Bits 1 and 4 of every answer are set and bits 0 and 7 clear, which is how an answer is told from
 *   noise. (Epson ESC/POS reference, DLE EOT; FIELD-NOTES.)
 * - Star Line Mode: ENQ (05) and EOT (04), one at a time (below).
 */
export const DLE_EOT = (n: 1 | 2 | 3 | 4): Buffer => Buffer.from([0x10, 0x04, n]);

/** Which request each answer belongs to: printer, offline cause, error cause, roll paper. */
export const STATUS_REQUESTS = [1, 2, 3, 4] as const;
export type StatusRequest = (typeof STATUS_REQUESTS)[number];

export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  /** Drawer connector pin 3 high: open or closed depends on the drawer's wiring (profile setting). */
  drawerOpen: boolean;
  /** Cutter error or an unrecoverable error. */
  error: boolean;
  /** The raw answers, for technicians: by DLE EOT n (Epson), or `ENQ`/`EOT` (Star). */
  raw: Partial<Record<StatusRequest | StarStatusRequest, number>>;
}

const bit = (b: number | undefined, n: number) => b !== undefined && (b & (1 << n)) !== 0;

/** Combines the answers to DLE EOT 1–4 (any missing is taken as "nothing reported"). */
export function interpretStatus(answers: Partial<Record<StatusRequest, number>>): PrinterStatus {
  const printer = answers[1];
  const offline = answers[2];
  const error = answers[3];
  const paper = answers[4];
  return {
    online: !bit(printer, 3),
    coverOpen: bit(offline, 2),
    paperOut: bit(offline, 5) || (bit(paper, 5) && bit(paper, 6)),
    paperNearEnd: bit(paper, 2) && bit(paper, 3),
    drawerOpen: bit(printer, 2),
    error: bit(offline, 6) || bit(error, 3) || bit(error, 5),
    raw: { ...answers },
  };
}

/**
 * Picks status answers out of whatever the printer sends: bytes that can't be an answer (noise,
 * an automatic-status-back packet, echo) are counted and skipped. Pure; never throws.
 */
export class StatusDecoder {
  /** Bytes skipped because they could not be an answer. */
  skipped = 0;

  /** `isAnswer` tells an answer from noise: DLE EOT's fixed bits by default. */
  constructor(private readonly isAnswer: (b: number) => boolean = isStatusByte) {}

  push(chunk: Uint8Array): number[] {
    const answers: number[] = [];
    for (const b of chunk) {
      if (this.isAnswer(b)) answers.push(b);
      else this.skipped += 1;
    }
    return answers;
  }
}

// -- Star Line Mode ------------------------------------------------------------------------------
// Source: Star Line Mode Command Specifications, Appendix 2 (status): ENQ and EOT each answer one
// byte; send the next inquiry only after the previous answer arrived.

/** The two Star inquiries, in the order they are sent. */
export const STAR_STATUS_REQUESTS = ['ENQ', 'EOT'] as const;
export type StarStatusRequest = (typeof STAR_STATUS_REQUESTS)[number];

export const STAR_INQUIRY: Readonly<Record<StarStatusRequest, Buffer>> = {
  ENQ: Buffer.from([0x05]),
  EOT: Buffer.from([0x04]),
};

/** Whether `b` can be the answer to `request`: ENQ's has bit 4 clear; EOT's bit 4 set and bit 0 clear. */
export function isStarStatusByte(request: StarStatusRequest, b: number): boolean {
  return request === 'ENQ' ? (b & 0x10) === 0 : (b & 0x11) === 0x10;
}

/**
 * Combines the answers to ENQ and EOT (any missing is taken as "nothing reported"). ENQ: bit 3 paper
 * end, bit 2 other errors (a non-recoverable error or the cover open: Star does not say which, so
 * it is reported as `error`, never as `coverOpen`), bit 7 the compulsion switch (drawer). EOT:
 * bit 3 paper end, bit 2 paper near end (inner sensor). There is no offline bit: a Star printer with
 * no paper or in error is taken as offline.
 */
export function interpretStarStatus(answers: Partial<Record<StarStatusRequest, number>>): PrinterStatus {
  const enq = answers.ENQ;
  const eot = answers.EOT;
  const paperOut = bit(enq, 3) || bit(eot, 3);
  const error = bit(enq, 2);
  return {
    online: !paperOut && !error,
    coverOpen: false,
    paperOut,
    paperNearEnd: bit(eot, 2),
    drawerOpen: bit(enq, 7),
    error,
    raw: { ...answers },
  };
}
