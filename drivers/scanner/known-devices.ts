/**
 * USB ids of scanners merchants own, and of the USB-serial bridges many scanners (and many other
 * things) sit behind. Names from the USB ID database as systemd ships it
 * (/lib/udev/hwdb.d/20-usb-vendor-model.hwdb, from usb.ids); the interface each mode presents is
 * in the name there (Newland's engines: product xx03 keyboard, xx06 serial CDC, xx10 HID POS).
 *
 * Discovery uses the table for keyboard interfaces (every keyboard looks alike: only a known
 * scanner id makes one a wedge candidate) and for notes; HID POS interfaces are found by their
 * usage page whatever their id.
 */

export type ScannerMode = 'hid-pos' | 'keyboard' | 'serial' | 'unknown';

export interface KnownDevice {
  vendorId: number;
  /** Undefined: every product of the vendor (a scanner maker). */
  productId?: number;
  name: string;
  mode: ScannerMode;
  /** The id is a generic USB-serial bridge: the device behind it may be anything. */
  sharedBridge?: boolean;
  note?: string;
}

export const KNOWN_DEVICES: readonly KnownDevice[] = [
  // Honeywell (Metrologic, Hand Held Products).
  { vendorId: 0x0c2e, productId: 0x0204, name: 'Metrologic MS7120 (keyboard mode)', mode: 'keyboard' },
  { vendorId: 0x0c2e, productId: 0x0700, name: 'Metrologic MS7120 (serial mode)', mode: 'serial' },
  { vendorId: 0x0c2e, productId: 0x0b61, name: 'Honeywell Vuquest 3310g', mode: 'unknown' },
  { vendorId: 0x0c2e, productId: 0x0b81, name: 'Honeywell Voyager 1400g', mode: 'unknown' },
  { vendorId: 0x0c2e, name: 'Honeywell / Metrologic scanner', mode: 'unknown' },
  { vendorId: 0x0536, name: 'Hand Held Products (Honeywell) imager', mode: 'unknown' },
  // Zebra (Symbol).
  { vendorId: 0x05e0, productId: 0x1200, name: 'Symbol / Zebra bar code scanner', mode: 'keyboard' },
  { vendorId: 0x05e0, productId: 0x1701, name: 'Symbol / Zebra bar code scanner (CDC)', mode: 'serial' },
  { vendorId: 0x05e0, productId: 0x1900, name: 'Symbol / Zebra SNAPI imaging device', mode: 'unknown' },
  { vendorId: 0x05e0, name: 'Symbol / Zebra scanner', mode: 'unknown' },
  // Datalogic (PSC).
  { vendorId: 0x05f9, productId: 0x2206, name: 'Datalogic Gryphon (keyboard emulation)', mode: 'keyboard' },
  { vendorId: 0x05f9, productId: 0x4204, name: 'Datalogic Gryphon (RS-232 emulation)', mode: 'serial' },
  { vendorId: 0x05f9, productId: 0x1206, name: 'Datalogic Gryphon (OEM mode)', mode: 'unknown' },
  { vendorId: 0x05f9, name: 'Datalogic scanner', mode: 'unknown' },
  // Newland, the common scanner engine in Chinese counter terminals.
  { vendorId: 0x1eab, productId: 0x1303, name: 'Newland EM30xx/EM20xx/HR3260 (keyboard)', mode: 'keyboard' },
  { vendorId: 0x1eab, productId: 0x1306, name: 'Newland EM30xx/EM20xx/HR3260 (serial CDC)', mode: 'serial' },
  { vendorId: 0x1eab, productId: 0x1310, name: 'Newland EM30xx/EM20xx/HR3260 (HID POS)', mode: 'hid-pos' },
  { vendorId: 0x1eab, productId: 0x1a03, name: 'Newland HR3290/HR22 (keyboard)', mode: 'keyboard' },
  { vendorId: 0x1eab, productId: 0x1a06, name: 'Newland HR3290/HR22 (serial CDC)', mode: 'serial' },
  { vendorId: 0x1eab, productId: 0x1a10, name: 'Newland HR3290/HR22 (HID POS)', mode: 'hid-pos' },
  { vendorId: 0x1eab, productId: 0x0c03, name: 'Newland HR100/BS80 (keyboard)', mode: 'keyboard' },
  { vendorId: 0x1eab, productId: 0x0c10, name: 'Newland HR100/BS80 (HID POS)', mode: 'hid-pos' },
  { vendorId: 0x1eab, name: 'Newland scanner', mode: 'unknown' },
  // Bridges: many cheap serial scanners, and printers, GPS receivers and Arduinos, use these.
  {
    vendorId: 0x1a86,
    productId: 0x7523,
    name: 'QinHeng CH340 serial converter',
    mode: 'serial',
    sharedBridge: true,
    note: 'shared USB-serial bridge id: may be a scanner, a printer or anything else; check by scanning',
  },
  {
    vendorId: 0x10c4,
    productId: 0xea60,
    name: 'Silicon Labs CP210x UART bridge',
    mode: 'serial',
    sharedBridge: true,
    note: 'shared USB-serial bridge id: may be a scanner, a printer or anything else; check by scanning',
  },
  {
    vendorId: 0x0403,
    productId: 0x6001,
    name: 'FTDI FT232 serial (UART) IC',
    mode: 'serial',
    sharedBridge: true,
    note: 'shared USB-serial bridge id: may be a scanner, a printer or anything else; check by scanning',
  },
  {
    vendorId: 0x067b,
    productId: 0x2303,
    name: 'Prolific PL2303 serial port',
    mode: 'serial',
    sharedBridge: true,
    note: 'shared USB-serial bridge id: may be a scanner, a printer or anything else; check by scanning',
  },
];

/** The most specific entry for an id: the exact product, else the vendor's catch-all. */
export function knownDevice(vendorId: number, productId: number): KnownDevice | undefined {
  return (
    KNOWN_DEVICES.find((d) => d.vendorId === vendorId && d.productId === productId) ??
    KNOWN_DEVICES.find((d) => d.vendorId === vendorId && d.productId === undefined)
  );
}
