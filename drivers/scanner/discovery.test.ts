import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HidBackend, HidDeviceInfo } from '../transport/hid.ts';
import { TransportError } from '../transport/transport.ts';
import { discoverScanners } from './discovery.ts';

/** Real descriptors' ids (USB ID database) in the shapes node-hid and serialport report. */
const HID_DEVICES: HidDeviceInfo[] = [
  // Newland engine in HID POS mode: found by its usage page.
  {
    path: '/dev/hidraw3',
    vendorId: 0x1eab,
    productId: 0x1310,
    serialNumber: 'NL001',
    usagePage: 0x8c,
    usage: 0x02,
    product: 'EM30xx',
  },
  // A Zebra scanner in keyboard mode: a keyboard with a known scanner id.
  { path: '/dev/hidraw4', vendorId: 0x05e0, productId: 0x1200, usagePage: 0x01, usage: 0x06 },
  // The cashier's real keyboard (Logitech): not a scanner.
  {
    path: '/dev/hidraw0',
    vendorId: 0x046d,
    productId: 0xc31c,
    usagePage: 0x01,
    usage: 0x06,
    product: 'USB Keyboard',
  },
  // An unknown device on a vendor page.
  { path: '/dev/hidraw1', vendorId: 0x1234, productId: 0x5678, usagePage: 0xff00, usage: 0x01 },
];

const backend = (devices: HidDeviceInfo[]): HidBackend => ({
  devices: async () => devices.map((d) => ({ ...d })),
  open: async () => {
    throw new TransportError('NOT_FOUND', 'not used');
  },
});

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('scanner discovery', () => {
  it('lists HID POS by usage page, known wedge scanners, and serial ports by their by-id link', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-byid-'));
    const tty = path.join(dir, 'ttyUSB0');
    fs.writeFileSync(tty, '');
    const link = path.join(dir, 'usb-1a86_USB_Serial-if00-port0');
    fs.symlinkSync(tty, link);
    const found = await discoverScanners({
      loadHid: async () => backend(HID_DEVICES),
      listSerial: async () => [
        { path: fs.realpathSync(tty), vendorId: '1a86', productId: '7523', manufacturer: 'QinHeng' },
        { path: '/dev/ttyACM0', vendorId: '1eab', productId: '1306', serialNumber: 'NL9' },
      ],
      byIdDir: dir,
    });
    expect(found.drivers).toEqual({ hid: { available: true }, serial: { available: true } });
    expect(found.candidates.map((c) => [c.uri, c.confidence])).toEqual([
      ['hid:1eab:1310:NL001', 'scanner'],
      ['wedge:05e0:1200', 'scanner'],
      [`serial:${link}?baud=9600&suffix=cr`, 'maybe'],
      ['serial:/dev/ttyACM0?baud=9600&suffix=cr', 'scanner'],
    ]);
    expect(found.candidates[1]?.note).toMatch(/no USB serial number/);
    expect(found.candidates[2]?.note).toMatch(/shared USB-serial bridge/);
    expect(found.candidates[3]?.note).toMatch(/no \/dev\/serial\/by-id link/);
  });

  it('reports a driver that cannot run with its reason and package, and still lists the other', async () => {
    const found = await discoverScanners({
      loadHid: async () => {
        throw new TransportError(
          'UNAVAILABLE',
          'HID scanners are unavailable: libusb-1.0.so.0: cannot open shared object file (install the Debian package libusb-1.0-0).',
        );
      },
      listSerial: async () => {
        throw new Error('spawn udevadm ENOENT');
      },
    });
    expect(found.candidates).toEqual([]);
    expect(found.drivers.hid).toMatchObject({ available: false, package: 'libusb-1.0-0' });
    expect(found.drivers.hid.reason).toMatch(/libusb-1.0.so.0/);
    expect(found.drivers.serial).toMatchObject({ available: false, package: 'udev' });
    expect(found.drivers.serial.reason).toMatch(/udevadm ENOENT.*udev/);
  });

  it('runs against this machine without throwing (real node-hid and udevadm)', async () => {
    const found = await discoverScanners();
    if (process.env.CI === 'true') {
      // CI installs libusb-1.0-0 and udev: both drivers must load there.
      expect(found.drivers.hid.available).toBe(true);
      expect(found.drivers.serial.available).toBe(true);
    }
    expect(Array.isArray(found.candidates)).toBe(true);
  });
});
