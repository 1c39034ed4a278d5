/**
 * Device addresses as URIs, and the factory that turns one into a Transport (a closed set, each
 * kind imported only when used):
 *
 *   tcp://HOST[:PORT]                 network printer, raw port (default 9100)
 *   serial:/dev/serial/by-id/...?baud=19200
 *   usb:VID:PID[:SERIAL]              USB printer class, ids in hex
 *   lp:/dev/usb/lp0                   Linux usblp node
 */
import type { Transport } from './transport.ts';

export const TRANSPORT_SCHEMES = ['tcp', 'serial', 'usb', 'lp'] as const;
export type TransportScheme = (typeof TRANSPORT_SCHEMES)[number];

/** The raw-printing port of network printers ("JetDirect"). */
export const DEFAULT_TCP_PORT = 9100;
/** Most receipt printers ship at 9600 8N1 on their serial port (some 19200: set ?baud=). */
export const DEFAULT_BAUD = 9600;
/** Baud rates serial devices here are set to. */
export const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

export type DeviceAddress =
  | { scheme: 'tcp'; host: string; port: number }
  | { scheme: 'serial'; path: string; baudRate: number; params: URLSearchParams }
  | { scheme: 'usb'; vendorId: number; productId: number; serialNumber?: string }
  | { scheme: 'lp'; path: string };

export class AddressError extends Error {
  readonly code = 'BAD_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

const FORMS =
  'tcp://HOST[:PORT], serial:/dev/serial/by-id/...?baud=9600, usb:VID:PID[:SERIAL], lp:/dev/usb/lp0';

export function parseDeviceUri(uri: string): DeviceAddress {
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  const rest = colon > 0 ? uri.slice(colon + 1) : uri;
  switch (scheme) {
    case 'tcp': {
      const m = /^\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(rest);
      if (!m)
        throw new AddressError(
          `"${uri}" is not a TCP address: use tcp://HOST[:PORT], e.g. tcp://192.168.1.50:9100.`,
        );
      const port = m[2] ? Number(m[2]) : DEFAULT_TCP_PORT;
      if (port < 1 || port > 65_535) throw new AddressError(`"${uri}": the port must be 1–65535.`);
      return { scheme: 'tcp', host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
    }
    case 'serial': {
      const [path, query] = rest.split('?', 2) as [string, string | undefined];
      if (!path.startsWith('/'))
        throw new AddressError(
          `"${uri}" is not a serial address: use serial:/dev/serial/by-id/...?baud=9600.`,
        );
      const params = new URLSearchParams(query ?? '');
      const baud = params.has('baud') ? Number(params.get('baud')) : DEFAULT_BAUD;
      if (!BAUDS.includes(baud)) throw new AddressError(`"${uri}": baud must be one of ${BAUDS.join(', ')}.`);
      return { scheme: 'serial', path, baudRate: baud, params };
    }
    case 'usb': {
      const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?::([^\s:]{1,126}))?$/.exec(rest);
      if (!m)
        throw new AddressError(
          `"${uri}" is not a USB address: use usb:VID:PID[:SERIAL] with hex ids, e.g. usb:04b8:0e28.`,
        );
      return {
        scheme: 'usb',
        vendorId: Number.parseInt(m[1] as string, 16),
        productId: Number.parseInt(m[2] as string, 16),
        ...(m[3] ? { serialNumber: m[3] } : {}),
      };
    }
    case 'lp':
      if (!rest.startsWith('/'))
        throw new AddressError(`"${uri}" is not a usblp address: use lp:/dev/usb/lp0.`);
      return { scheme: 'lp', path: rest };
    default:
      throw new AddressError(
        `"${uri}" has ${scheme ? `an unknown scheme "${scheme}"` : 'no scheme'}: use one of ${FORMS}.`,
      );
  }
}

/** A transport for an address; the module for its kind is loaded only now. */
export async function createTransport(uri: string | DeviceAddress): Promise<Transport> {
  const address = typeof uri === 'string' ? parseDeviceUri(uri) : uri;
  switch (address.scheme) {
    case 'tcp': {
      const { TcpTransport } = await import('./tcp.ts');
      return new TcpTransport({ host: address.host, port: address.port });
    }
    case 'serial': {
      const { SerialTransport } = await import('./serial.ts');
      return new SerialTransport({ path: address.path, baudRate: address.baudRate });
    }
    case 'usb': {
      const { UsbPrinterTransport } = await import('./usb-printer.ts');
      return new UsbPrinterTransport(address);
    }
    case 'lp': {
      const { UsblpTransport } = await import('./usblp.ts');
      return new UsblpTransport({ path: address.path });
    }
  }
}
