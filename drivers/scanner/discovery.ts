/**
 * Finding scanners: HID interfaces on the HID POS usage page (0x8C) whatever their ids, keyboard
 * interfaces whose ids are a known scanner's (every keyboard looks alike otherwise), and serial
 * ports, named by their /dev/serial/by-id link so the address survives re-enumeration. Each
 * driver's availability is reported with the reason and the package to install when it can't run:
 * node-hid needs libusb-1.0, and serialport's list() spawns udevadm.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { HID_PACKAGE, type HidBackend, loadNodeHidBackend } from '../transport/hid.ts';
import { formatScannerUri } from './address.ts';
import { HID_POS_USAGE_PAGE } from './codec/hid-pos.ts';
import { knownDevice } from './known-devices.ts';

export interface ScannerCandidate {
  uri: string;
  kind: 'hid' | 'wedge' | 'serial';
  /** Product name as the device or the USB ID database gives it. */
  name: string;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  /** Where it is now (hidraw node, tty). */
  path: string;
  /** How sure this is a scanner: `scanner` (HID POS, or a known scanner id) or `maybe`. */
  confidence: 'scanner' | 'maybe';
  note?: string;
}

export interface DriverAvailability {
  available: boolean;
  reason?: string;
  package?: string;
}

export interface Discovery {
  candidates: ScannerCandidate[];
  drivers: { hid: DriverAvailability; serial: DriverAvailability };
}

/** What serialport's list() returns, the fields used here. */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface DiscoveryOptions {
  loadHid?: () => Promise<HidBackend>;
  listSerial?: () => Promise<SerialPortInfo[]>;
  /** Where the stable serial links are (default /dev/serial/by-id). */
  byIdDir?: string;
}

export const UDEV_PACKAGE = 'udev';

export async function discoverScanners(options: DiscoveryOptions = {}): Promise<Discovery> {
  const [hid, serial] = await Promise.all([discoverHid(options), discoverSerial(options)]);
  return {
    candidates: [...hid.candidates, ...serial.candidates],
    drivers: { hid: hid.availability, serial: serial.availability },
  };
}

async function discoverHid(options: DiscoveryOptions) {
  let devices: Awaited<ReturnType<HidBackend['devices']>>;
  try {
    const backend = await (options.loadHid ?? loadNodeHidBackend)();
    devices = await backend.devices();
  } catch (err) {
    return {
      candidates: [],
      availability: { available: false, reason: (err as Error).message, package: HID_PACKAGE },
    };
  }
  const candidates: ScannerCandidate[] = [];
  const seen = new Set<string>();
  for (const d of devices) {
    const known = knownDevice(d.vendorId, d.productId);
    const kind =
      d.usagePage === HID_POS_USAGE_PAGE
        ? 'hid'
        : d.usagePage === 0x01 && d.usage === 0x06 && known && !known.sharedBridge
          ? 'wedge'
          : undefined;
    if (!kind) continue;
    const uri = formatScannerUri({
      scheme: kind,
      vendorId: d.vendorId,
      productId: d.productId,
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
    });
    if (seen.has(uri)) continue;
    seen.add(uri);
    candidates.push({
      uri,
      kind,
      name: d.product ?? known?.name ?? 'HID device',
      vendorId: d.vendorId,
      productId: d.productId,
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
      path: d.path,
      confidence: 'scanner',
      ...noteFor(d.serialNumber, kind),
    });
  }
  return { candidates, availability: { available: true } };
}

async function discoverSerial(options: DiscoveryOptions) {
  let ports: SerialPortInfo[];
  try {
    ports = await (options.listSerial ?? listSerialPorts)();
  } catch (err) {
    return {
      candidates: [],
      availability: {
        available: false,
        reason: `Serial ports can't be listed: ${(err as Error).message} (install the Debian package ${UDEV_PACKAGE}).`,
        package: UDEV_PACKAGE,
      },
    };
  }
  const byId = await stableLinks(options.byIdDir ?? '/dev/serial/by-id');
  const candidates = ports.map((p): ScannerCandidate => {
    const vendorId = p.vendorId ? Number.parseInt(p.vendorId, 16) : undefined;
    const productId = p.productId ? Number.parseInt(p.productId, 16) : undefined;
    const known =
      vendorId !== undefined && productId !== undefined ? knownDevice(vendorId, productId) : undefined;
    const stable = byId.get(p.path);
    const notes = [
      known?.note,
      stable ? undefined : 'no /dev/serial/by-id link: this path may change after a replug or reboot',
    ].filter(Boolean);
    return {
      uri: formatScannerUri({
        scheme: 'serial',
        path: stable ?? p.path,
        baudRate: 9600,
        suffix: 'cr',
        interByteTimeoutMs: 50,
      }),
      kind: 'serial',
      name: known?.name ?? p.manufacturer ?? 'serial port',
      ...(vendorId !== undefined ? { vendorId } : {}),
      ...(productId !== undefined ? { productId } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      path: p.path,
      confidence: known && !known.sharedBridge && known.mode !== 'unknown' ? 'scanner' : 'maybe',
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  });
  return { candidates, availability: { available: true } };
}

function noteFor(serialNumber: string | undefined, kind: 'hid' | 'wedge') {
  const notes = [
    serialNumber ? undefined : 'no USB serial number: two scanners of this model can not be told apart',
    kind === 'wedge'
      ? 'keyboard mode: its keys also reach the desktop unless the kiosk has focus'
      : undefined,
  ].filter(Boolean);
  return notes.length > 0 ? { note: notes.join('; ') } : {};
}

/** The serial ports serialport sees (this spawns udevadm on Linux). */
async function listSerialPorts(): Promise<SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

/** tty path → its /dev/serial/by-id link. */
async function stableLinks(dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return links; // no USB serial device plugged in: the folder does not exist
  }
  for (const name of names) {
    const link = path.join(dir, name);
    try {
      links.set(await fs.realpath(link), link);
    } catch {
      // a dangling link (device just unplugged)
    }
  }
  return links;
}
