/**
 * Scanner addresses (a closed set, like the printer's):
 *
 *   hid:VID:PID[:SERIAL]      HID POS scanner (usage page 0x8C), ids in hex
 *   wedge:VID:PID[:SERIAL]    keyboard-wedge scanner read through HID (boot-keyboard reports)
 *   serial:/dev/serial/by-id/...?baud=9600&suffix=cr[&timeout=50]
 *
 * A USB scanner is found by its ids and, when given, its serial number, so it stays the same
 * logical scanner after it is unplugged and enumerates under another path.
 */
import { AddressError, BAUDS, DEFAULT_BAUD } from '../transport/uri.ts';
import { DEFAULT_INTER_BYTE_TIMEOUT_MS, SUFFIXES, type Suffix } from './codec/serial-framer.ts';

export type ScannerAddress =
  | { scheme: 'hid' | 'wedge'; vendorId: number; productId: number; serialNumber?: string }
  | { scheme: 'serial'; path: string; baudRate: number; suffix: Suffix; interByteTimeoutMs: number };

const FORMS =
  'hid:VID:PID[:SERIAL], wedge:VID:PID[:SERIAL], serial:/dev/serial/by-id/...?baud=9600&suffix=cr';
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function parseScannerUri(uri: string): ScannerAddress {
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  const rest = colon > 0 ? uri.slice(colon + 1) : uri;
  switch (scheme) {
    case 'hid':
    case 'wedge': {
      // The serial number is the rest of the address, colons and all: some units report one such as
      // "AB:CD:01" (a USB string descriptor holds up to 126 UTF-16 units).
      const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?::(\S{1,126}))?$/.exec(rest);
      if (!m)
        throw new AddressError(
          `"${uri}" is not a ${scheme} scanner address: use ${scheme}:VID:PID[:SERIAL] with hex ids, e.g. ${scheme}:1eab:1310.`,
        );
      return {
        scheme,
        vendorId: Number.parseInt(m[1] as string, 16),
        productId: Number.parseInt(m[2] as string, 16),
        ...(m[3] ? { serialNumber: m[3] } : {}),
      };
    }
    case 'serial': {
      const [path, query] = rest.split('?', 2) as [string, string | undefined];
      if (!path.startsWith('/'))
        throw new AddressError(
          `"${uri}" is not a serial address: use serial:/dev/serial/by-id/...?baud=9600&suffix=cr.`,
        );
      const params = new URLSearchParams(query ?? '');
      for (const key of params.keys()) {
        if (!['baud', 'suffix', 'timeout'].includes(key))
          throw new AddressError(`"${uri}": unknown option "${key}" (use baud, suffix, timeout).`);
      }
      const baudRate = params.has('baud') ? Number(params.get('baud')) : DEFAULT_BAUD;
      if (!BAUDS.includes(baudRate))
        throw new AddressError(`"${uri}": baud must be one of ${BAUDS.join(', ')}.`);
      const suffix = (params.get('suffix') ?? 'cr') as Suffix;
      if (!SUFFIXES.includes(suffix))
        throw new AddressError(`"${uri}": suffix must be one of ${SUFFIXES.join(', ')}.`);
      const timeout = params.has('timeout') ? Number(params.get('timeout')) : DEFAULT_INTER_BYTE_TIMEOUT_MS;
      if (!Number.isInteger(timeout) || timeout < 5 || timeout > 5_000)
        throw new AddressError(`"${uri}": timeout is the inter-byte timeout in ms, 5–5000.`);
      return { scheme: 'serial', path, baudRate, suffix, interByteTimeoutMs: timeout };
    }
    default:
      throw new AddressError(
        `"${uri}" has ${scheme ? `an unknown scheme "${scheme}"` : 'no scheme'}: a scanner is one of ${FORMS}.`,
      );
  }
}

/** The canonical URI of an address (what status and events name as the scanner). */
export function formatScannerUri(address: ScannerAddress): string {
  if (address.scheme === 'serial') {
    const timeout =
      address.interByteTimeoutMs === DEFAULT_INTER_BYTE_TIMEOUT_MS
        ? ''
        : `&timeout=${address.interByteTimeoutMs}`;
    return `serial:${address.path}?baud=${address.baudRate}&suffix=${address.suffix}${timeout}`;
  }
  const serial = address.serialNumber ? `:${address.serialNumber}` : '';
  return `${address.scheme}:${hex4(address.vendorId)}:${hex4(address.productId)}${serial}`;
}
