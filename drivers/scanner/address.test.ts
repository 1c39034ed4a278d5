import { describe, expect, it } from 'vitest';
import { formatScannerUri, parseScannerUri } from './address.ts';

describe('scanner addresses', () => {
  it('reads HID POS, wedge and serial addresses', () => {
    expect(parseScannerUri('hid:1EAB:1310:SN42')).toEqual({
      scheme: 'hid',
      vendorId: 0x1eab,
      productId: 0x1310,
      serialNumber: 'SN42',
    });
    expect(parseScannerUri('wedge:05e0:1200')).toEqual({
      scheme: 'wedge',
      vendorId: 0x05e0,
      productId: 0x1200,
    });
    expect(parseScannerUri('serial:/dev/serial/by-id/usb-X-if00?baud=115200&suffix=crlf&timeout=80')).toEqual(
      {
        scheme: 'serial',
        path: '/dev/serial/by-id/usb-X-if00',
        baudRate: 115200,
        suffix: 'crlf',
        interByteTimeoutMs: 80,
      },
    );
  });

  it('fills serial defaults and writes one canonical form', () => {
    const address = parseScannerUri('serial:/dev/ttyS0');
    expect(address).toMatchObject({ baudRate: 9600, suffix: 'cr', interByteTimeoutMs: 50 });
    expect(formatScannerUri(address)).toBe('serial:/dev/ttyS0?baud=9600&suffix=cr');
    expect(formatScannerUri(parseScannerUri('hid:1EAB:1310:SN42'))).toBe('hid:1eab:1310:SN42');
  });

  it('takes a serial number with colons in it whole, and writes it back the same', () => {
    expect(parseScannerUri('wedge:05e0:1200:AB:CD:01')).toEqual({
      scheme: 'wedge',
      vendorId: 0x05e0,
      productId: 0x1200,
      serialNumber: 'AB:CD:01',
    });
    expect(formatScannerUri(parseScannerUri('hid:1eab:1310:AB:CD:01'))).toBe('hid:1eab:1310:AB:CD:01');
    expect(() => parseScannerUri('hid:1eab:1310:')).toThrow(/hid:VID:PID/);
    expect(() => parseScannerUri(`hid:1eab:1310:${'x'.repeat(127)}`)).toThrow(/hid:VID:PID/);
  });

  it.each([
    ['usb:1eab:1310', /unknown scheme "usb".*hid:VID:PID/],
    ['1eab:1310', /scanner is one of/],
    ['hid:1eab', /hid:VID:PID\[:SERIAL\]/],
    ['wedge:zzzz:1310', /wedge:VID:PID/],
    ['serial:ttyUSB0', /serial:\/dev\/serial\/by-id/],
    ['serial:/dev/ttyS0?baud=9601', /baud must be one of/],
    ['serial:/dev/ttyS0?suffix=tab', /suffix must be one of cr, lf, crlf, none/],
    ['serial:/dev/ttyS0?timeout=1', /inter-byte timeout/],
    ['serial:/dev/ttyS0?parity=even', /unknown option "parity"/],
  ])('refuses %s naming the accepted form', (uri, message) => {
    expect(() => parseScannerUri(uri)).toThrow(message);
  });
});
