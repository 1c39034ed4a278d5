/**
 * Device URIs: every accepted form, the bad ones (each message names the bad value and the accepted
 * form), and the factory's choice of transport. Nothing here opens a device.
 */
import { describe, expect, test } from 'vitest';
import { SerialTransport } from './serial.ts';
import { TcpTransport } from './tcp.ts';
import {
  AddressError,
  createTransport,
  DEFAULT_BAUD,
  DEFAULT_TCP_PORT,
  type DeviceAddress,
  parseDeviceUri,
  TRANSPORT_SCHEMES,
} from './uri.ts';
import { UsbPrinterTransport } from './usb-printer.ts';
import { UsblpTransport } from './usblp.ts';

/** The parsed address without the serial form's URLSearchParams, for `toEqual`. */
function plain(uri: string): Record<string, unknown> {
  const { params: _params, ...rest } = parseDeviceUri(uri) as DeviceAddress & { params?: URLSearchParams };
  return rest;
}

function addressError(uri: string): AddressError {
  try {
    parseDeviceUri(uri);
  } catch (err) {
    expect(err, uri).toBeInstanceOf(AddressError);
    expect((err as AddressError).code).toBe('BAD_ADDRESS');
    return err as AddressError;
  }
  throw new Error(`"${uri}" was accepted`);
}

describe('parseDeviceUri: accepted forms', () => {
  test.each([
    ['tcp://192.168.1.50', { scheme: 'tcp', host: '192.168.1.50', port: DEFAULT_TCP_PORT }],
    ['tcp://192.168.1.50:9101', { scheme: 'tcp', host: '192.168.1.50', port: 9101 }],
    ['tcp://printer-1.shop.lan:515/', { scheme: 'tcp', host: 'printer-1.shop.lan', port: 515 }],
    ['tcp://[::1]', { scheme: 'tcp', host: '::1', port: DEFAULT_TCP_PORT }],
    ['tcp://[fe80::1:2ff:fe3a:4b5c]:9100', { scheme: 'tcp', host: 'fe80::1:2ff:fe3a:4b5c', port: 9100 }],
    ['tcp://10.0.0.9:1', { scheme: 'tcp', host: '10.0.0.9', port: 1 }],
    ['tcp://10.0.0.9:65535', { scheme: 'tcp', host: '10.0.0.9', port: 65_535 }],
  ])('%s', (uri, expected) => {
    expect(plain(uri)).toEqual(expected);
  });

  test('the TCP port defaults to 9100, the raw-printing port', () => {
    expect(DEFAULT_TCP_PORT).toBe(9100);
  });

  test.each([
    ['serial:/dev/ttyUSB0', { scheme: 'serial', path: '/dev/ttyUSB0', baudRate: DEFAULT_BAUD }],
    [
      'serial:/dev/serial/by-id/usb-FTDI_FT232R_A10K5XYZ-if00-port0?baud=19200',
      { scheme: 'serial', path: '/dev/serial/by-id/usb-FTDI_FT232R_A10K5XYZ-if00-port0', baudRate: 19_200 },
    ],
    ['serial:/dev/ttyS0?baud=115200', { scheme: 'serial', path: '/dev/ttyS0', baudRate: 115_200 }],
  ])('%s', (uri, expected) => {
    expect(plain(uri)).toEqual(expected);
  });

  test('the baud rate defaults to 9600, and other query parameters are kept', () => {
    expect(DEFAULT_BAUD).toBe(9600);
    const address = parseDeviceUri('serial:/dev/ttyUSB0?parity=none');
    expect(address).toMatchObject({ scheme: 'serial', baudRate: 9600 });
    expect(address.scheme === 'serial' && address.params.get('parity')).toBe('none');
  });

  test.each([
    ['usb:04b8:0e28', { scheme: 'usb', vendorId: 0x04b8, productId: 0x0e28 }],
    ['usb:0FE6:811E', { scheme: 'usb', vendorId: 0x0fe6, productId: 0x811e }],
    [
      'usb:0416:5011:TM-T20III-X5KJ012345',
      { scheme: 'usb', vendorId: 0x0416, productId: 0x5011, serialNumber: 'TM-T20III-X5KJ012345' },
    ],
  ])('%s', (uri, expected) => {
    expect(plain(uri)).toEqual(expected);
  });

  test('a USB address without a serial number has no serialNumber key', () => {
    expect('serialNumber' in parseDeviceUri('usb:04b8:0e28')).toBe(false);
  });

  test.each([
    ['lp:/dev/usb/lp0', { scheme: 'lp', path: '/dev/usb/lp0' }],
    ['lp:/dev/usb/lp3', { scheme: 'lp', path: '/dev/usb/lp3' }],
  ])('%s', (uri, expected) => {
    expect(plain(uri)).toEqual(expected);
  });
});

describe('parseDeviceUri: bad input', () => {
  test('an unknown scheme names it and lists every valid form', () => {
    const err = addressError('hid:0c2e:0b61');
    expect(err.message).toContain('"hid:0c2e:0b61"');
    expect(err.message).toContain('unknown scheme "hid"');
    for (const form of ['tcp://HOST[:PORT]', 'serial:/dev/', 'usb:VID:PID[:SERIAL]', 'lp:/dev/usb/lp0']) {
      expect(err.message).toContain(form);
    }
    for (const scheme of TRANSPORT_SCHEMES) expect(err.message).toContain(`${scheme}:`);
  });

  test.each(['192.168.1.50', '/dev/usb/lp0', ':9100', ''])('no scheme: "%s"', (uri) => {
    const err = addressError(uri);
    expect(err.message).toMatch(/no scheme/);
    expect(err.message).toContain('tcp://HOST[:PORT]');
  });

  test('a host:port without tcp:// is refused, with the valid forms', () => {
    const err = addressError('192.168.1.50:9100');
    expect(err.message).toContain('"192.168.1.50:9100"');
    expect(err.message).toContain('tcp://HOST[:PORT]');
  });

  test.each([
    ['tcp://10.0.0.9:0', /port must be 1–65535/],
    ['tcp://10.0.0.9:65536', /port must be 1–65535/],
    ['tcp://10.0.0.9:99999', /port must be 1–65535/],
    ['tcp://10.0.0.9:123456', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp://10.0.0.9:http', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp://10.0.0.9:', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp://::1:9100', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp://', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp:10.0.0.9', /use tcp:\/\/HOST\[:PORT\]/],
    ['tcp://user@10.0.0.9', /use tcp:\/\/HOST\[:PORT\]/],
  ])('bad TCP address %s', (uri, message) => {
    const err = addressError(uri);
    expect(err.message).toContain(`"${uri}"`);
    expect(err.message).toMatch(message);
  });

  test.each([
    ['serial:/dev/ttyUSB0?baud=12345', /baud must be one of 1200, 2400, 4800, 9600, 19200/],
    ['serial:/dev/ttyUSB0?baud=fast', /baud must be one of/],
    ['serial:/dev/ttyUSB0?baud=', /baud must be one of/],
    ['serial:/dev/ttyUSB0?baud=0', /baud must be one of/],
    ['serial:ttyUSB0', /use serial:\/dev\/serial\/by-id\/\.\.\.\?baud=9600/],
    ['serial:', /use serial:/],
  ])('bad serial address %s', (uri, message) => {
    const err = addressError(uri);
    expect(err.message).toContain(`"${uri}"`);
    expect(err.message).toMatch(message);
  });

  test.each([
    'usb:4b8:e28',
    'usb:04b8',
    'usb:04b8:0e28:',
    'usb:04b8:0e28:a:b',
    'usb:zzzz:0e28',
    'usb:0x04b8:0x0e28',
    'usb:04b80:0e28',
    'usb:',
  ])('bad USB address %s', (uri) => {
    const err = addressError(uri);
    expect(err.message).toContain(`"${uri}"`);
    expect(err.message).toContain('use usb:VID:PID[:SERIAL] with hex ids');
  });

  test.each(['lp:', 'lp:lp0', 'lp:usb/lp0'])('bad usblp address %s', (uri) => {
    const err = addressError(uri);
    expect(err.message).toContain(`"${uri}"`);
    expect(err.message).toContain('use lp:/dev/usb/lp0');
  });
});

describe('createTransport', () => {
  test.each([
    ['tcp://192.168.1.50', TcpTransport, 'tcp://192.168.1.50:9100'],
    ['tcp://[::1]:9101', TcpTransport, 'tcp://[::1]:9101'],
    ['serial:/dev/ttyUSB0?baud=19200', SerialTransport, 'serial:/dev/ttyUSB0?baud=19200'],
    ['serial:/dev/ttyUSB0', SerialTransport, 'serial:/dev/ttyUSB0?baud=9600'],
    ['usb:04B8:0E28', UsbPrinterTransport, 'usb:04b8:0e28'],
    ['usb:04b8:0e28:X5KJ0123', UsbPrinterTransport, 'usb:04b8:0e28:X5KJ0123'],
    ['lp:/dev/usb/lp0', UsblpTransport, 'lp:/dev/usb/lp0'],
  ])('%s → the matching transport, closed', async (uri, kind, description) => {
    const transport = await createTransport(uri);
    expect(transport).toBeInstanceOf(kind);
    expect(transport.description).toBe(description);
    expect(transport.isOpen).toBe(false);
  });

  test('takes a parsed address too', async () => {
    const transport = await createTransport({ scheme: 'tcp', host: '10.0.0.9', port: 9101 });
    expect(transport).toBeInstanceOf(TcpTransport);
    expect(transport.description).toBe('tcp://10.0.0.9:9101');
  });

  test('rejects a bad URI with the AddressError', async () => {
    await expect(createTransport('hid:0c2e:0b61')).rejects.toBeInstanceOf(AddressError);
    await expect(createTransport('tcp://10.0.0.9:0')).rejects.toThrow(/port must be/);
  });
});
