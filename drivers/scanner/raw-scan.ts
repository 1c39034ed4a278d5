/**
 * What a scanner driver hands up: the bytes of one scan, as the scanner sent them (AIM prefix
 * removed and turned into `symbology`), before anything decides what they mean. Routing (in
 * `device/scanning`) turns a RawScan into a ScanEvent; drivers never interpret the data.
 */
import type { Symbology } from './codec/aim.ts';

export interface RawScan {
  /** The scanned data, without AIM prefix or line suffix. Not necessarily valid text. */
  bytes: Uint8Array;
  symbology: Symbology;
  /** The logical scanner it came from: its address, e.g. "hid:0c2e:0b61:21345B0F3B". */
  source: string;
  /** `performance.now()` when its last byte arrived, for latency figures. */
  receivedAt: number;
  /**
   * Set when the driver knows the bytes are not the whole code as scanned (keys without a character
   * typed inside a wedge code, bytes lost past the size limit): routing refuses such a scan with
   * this reason instead of reading it.
   */
  fault?: string;
}
