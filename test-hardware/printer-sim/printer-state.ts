/**
 * The simulated printer's mechanism: paper, cover, drawer, cutter; the answers to real-time status
 * requests (`DLE EOT n`) that follow from it; and whether print data is executed or discarded.
 *
 * Status bits from `shared/FIELD-NOTES.md` (Epson ESC/POS `DLE EOT`): every answer has bits 1 and 4
 * set, so a healthy printer answers 0x12 to each n.
 */

import { PrinterSimError } from './errors.ts';
import type { PrinterControl } from './escpos-decoder.ts';

/** What can be wrong with the simulated printer; every flag false is a healthy printer. */
export interface PrinterConditions {
  /** No paper: print data is discarded; n=1 offline, n=2 stopped by paper end, n=4 paper end. */
  paperOut: boolean;
  /** Roll near its end: n=4 bits 2+3. Printing continues. */
  paperNearEnd: boolean;
  /** Cover open: print data is discarded; n=1 offline, n=2 cover open, n=3 auto-recoverable error. */
  coverOpen: boolean;
  /** Offline for another reason: print data is discarded; n=1 offline. */
  offline: boolean;
  /** Drawer connector pin 3 high (whether that means open depends on the drawer's wiring). */
  drawerOpen: boolean;
  /** Autocutter error: n=2 error, n=3 cutter error. Printing is not stopped by the simulator. */
  cutterError: boolean;
  /** No answer at all to status requests, as many cheap printers do when out of paper. */
  silent: boolean;
  /**
   * A fault armed for "paper runs out mid-job": after this many more bytes of print data (every
   * command but the real-time ones) are executed, `paperOut` becomes true and this returns to
   * undefined. A command that would cross the limit is discarded whole. 0 runs out at once.
   */
  paperOutAfterBytes: number | undefined;
}

export const HEALTHY: Readonly<PrinterConditions> = Object.freeze({
  paperOut: false,
  paperNearEnd: false,
  coverOpen: false,
  offline: false,
  drawerOpen: false,
  cutterError: false,
  silent: false,
  paperOutAfterBytes: undefined,
});

/** Bits 1 and 4 are always set in a `DLE EOT` answer (field notes). */
const STATUS_FIXED_BITS = 0x12;

/** The `n` of `DLE EOT n` the simulator answers. */
export type StatusRequestKind = 1 | 2 | 3 | 4;

export function isStatusRequestKind(n: number): n is StatusRequestKind {
  return n === 1 || n === 2 || n === 3 || n === 4;
}

/** Whether the printer is offline: it then discards print data and reports n=1 bit 3. */
export function isOffline(c: Readonly<PrinterConditions>): boolean {
  return c.paperOut || c.coverOpen || c.offline;
}

/** The byte a printer in state `c` answers to `DLE EOT n` (ignoring `silent`). */
export function statusByte(c: Readonly<PrinterConditions>, n: StatusRequestKind): number {
  let b = STATUS_FIXED_BITS;
  switch (n) {
    case 1: // printer status
      if (c.drawerOpen) b |= 0x04;
      if (isOffline(c)) b |= 0x08;
      break;
    case 2: // offline cause
      if (c.coverOpen) b |= 0x04;
      if (c.paperOut) b |= 0x20;
      if (c.cutterError) b |= 0x40;
      break;
    case 3: // error cause
      if (c.cutterError) b |= 0x08;
      if (c.coverOpen) b |= 0x40;
      break;
    case 4: // roll paper sensors
      // An empty roll has also passed the near-end sensor: real printers then report both
      // (an Epson TM answers 0x7E with no paper).
      if (c.paperNearEnd || c.paperOut) b |= 0x0c;
      if (c.paperOut) b |= 0x60;
      break;
  }
  return b;
}

/**
 * The mutable mechanism state of one simulated printer, as the decoder's `PrinterControl`:
 * `admit` is asked for every non-real-time command in stream order and counts down
 * `paperOutAfterBytes`; `statusAnswer` reads the state at the moment the request is framed.
 */
export class PrinterState implements PrinterControl {
  private conditions: PrinterConditions;

  constructor(initial: Partial<PrinterConditions> = {}) {
    this.conditions = { ...HEALTHY, ...initial };
  }

  /** A snapshot. */
  get snapshot(): Readonly<PrinterConditions> {
    return { ...this.conditions };
  }

  /** Whether print data is executed now. */
  get printing(): boolean {
    return !isOffline(this.conditions);
  }

  /** Changes some conditions; throws BAD_OPTION for a `paperOutAfterBytes` that is not a count. */
  set(partial: Partial<PrinterConditions>): void {
    const limit = partial.paperOutAfterBytes;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
      throw new PrinterSimError('BAD_OPTION', `paperOutAfterBytes must be a whole number >= 0, got ${limit}`);
    }
    this.conditions = { ...this.conditions, ...partial };
    if (this.conditions.paperOutAfterBytes === 0) this.runOut();
  }

  admit(byteLength: number): boolean {
    if (!this.printing) return false;
    const left = this.conditions.paperOutAfterBytes;
    if (left === undefined) return true;
    if (byteLength > left) {
      this.runOut();
      return false;
    }
    this.conditions.paperOutAfterBytes = left - byteLength;
    if (left === byteLength) this.runOut();
    return true;
  }

  statusAnswer(n: number): number | undefined {
    if (this.conditions.silent || !isStatusRequestKind(n)) return undefined;
    return statusByte(this.conditions, n);
  }

  private runOut(): void {
    this.conditions.paperOut = true;
    this.conditions.paperOutAfterBytes = undefined;
  }
}
