/**
 * HID POS scanner reports (USB-IF "HID Point of Sale Usage Tables", usage page 0x8C), in the vendor
 * layout FIELD-NOTES.md records (Honeywell's and its followers'), 64 bytes:
 *
 *   byte 0      report ID (0x02: the scanned-data input report)
 *   byte 1      number of data bytes in this report, 0–56
 *   bytes 2–4   AIM symbology identifier, ASCII (`]Q1`)
 *   bytes 5–60  data, zero-padded
 *   bytes 61–62 reserved
 *   byte 63     0x01 when the code goes on in the next report, 0x00 on its last report
 *
 * A long code spans several reports; this reassembler joins them. A report that doesn't fit the
 * layout (another report ID, a length over 56, too short) is noise: it is dropped, and so is a code
 * that it interrupts, because its bytes could not be trusted to be whole. So is the rest of that
 * code: nothing in a report says it is a code's first, so the continuation after the noise would
 * otherwise come out as a code of its own (its tail, never sent as such). Its reports are dropped
 * up to its last one (more-data flag clear), or until a report with another AIM identifier starts
 * a new code. A code over the size limit is dropped the same way. The cost is that when the
 * continuation itself was lost, the next code is dropped too and has to be scanned again.
 */
import { type Symbology, symbologyOf } from './aim.ts';

export const HID_POS_USAGE_PAGE = 0x8c;
export const HID_POS_REPORT_ID = 0x02;
export const HID_POS_DATA_MAX = 56;
const DATA_OFFSET = 5;
const MORE_OFFSET = 63;

/** One complete code read from HID POS reports. */
export interface HidPosScan {
  data: Uint8Array;
  aim: string;
  symbology: Symbology;
}

export interface HidPosReassemblerOptions {
  reportId?: number;
  /** Longest code accepted; a longer run of "more data" reports is dropped (a stuck flag). */
  maxBytes?: number;
}

/** Routing refuses anything longer; a little over it lets routing say "too long" rather than lose it. */
export const DEFAULT_MAX_SCAN_BYTES = 8192;

export class HidPosReassembler {
  private readonly reportId: number;
  private readonly maxBytes: number;
  private parts: Buffer[] = [];
  private length = 0;
  private aim = '';
  /** The AIM identifier of a code being dropped up to its last report (see above), or null. */
  private skippingAim: string | null = null;
  /** Bytes dropped since the last complete code (noise), for diagnostics. */
  dropped = 0;

  constructor(options: HidPosReassemblerOptions = {}) {
    this.reportId = options.reportId ?? HID_POS_REPORT_ID;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_SCAN_BYTES;
  }

  /** Feeds one input report; returns the code it completes, if any. */
  push(report: Uint8Array): HidPosScan | undefined {
    const n = report[1] ?? 0xff;
    if (report.length <= MORE_OFFSET || report[0] !== this.reportId || n > HID_POS_DATA_MAX) {
      this.dropped += report.length;
      this.skipRest();
      return undefined;
    }
    const aim = String.fromCharCode(report[2] as number, report[3] as number, report[4] as number);
    if (this.skippingAim !== null) {
      if (aim === this.skippingAim) {
        // The rest of a code that was dropped: not a code of its own.
        this.dropped += n;
        if (report[MORE_OFFSET] !== 0x01) this.skippingAim = null;
        return undefined;
      }
      this.skippingAim = null; // another symbology: a new code began
    }
    if (this.parts.length > 0 && aim !== this.aim) {
      // A new code began before the last one's final report: the old one is incomplete.
      this.dropped += this.length;
      this.reset();
    }
    this.aim = aim;
    this.parts.push(Buffer.from(report.subarray(DATA_OFFSET, DATA_OFFSET + n)));
    this.length += n;
    if (this.length > this.maxBytes) {
      this.dropped += this.length;
      if (report[MORE_OFFSET] === 0x01) this.skipRest();
      else this.reset();
      return undefined;
    }
    if (report[MORE_OFFSET] === 0x01) return undefined;
    const data = Buffer.concat(this.parts, this.length);
    const scan = { data, aim, symbology: symbologyOf(aim) };
    this.reset();
    return data.length > 0 ? scan : undefined;
  }

  /** Drops a half-received code (the device went away mid-code). */
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.aim = '';
    this.skippingAim = null;
  }

  /** Drops the code being received, and the reports of it still to come. */
  private skipRest(): void {
    const interrupted = this.parts.length > 0 ? this.aim : this.skippingAim;
    this.reset();
    this.skippingAim = interrupted;
  }
}
