/**
 * SerialTransport over a real PTY pair made by `socat`: the transport opens one end, the "device"
 * (a plain `serialport` port) the other. Killing socat hangs both ends up, the way unplugging a
 * USB-serial adapter does.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PTY_SKIP_REASON, ptyTest, SKIP_PTY } from '../../test-hardware/pty.ts';
import { SerialTransport } from './serial.ts';
import { recordEvents as record } from './testing.ts';
import { TransportError } from './transport.ts';

/** How long a test waits for bytes or events that should come at once through a PTY. */
const WAIT_MS = 5_000;
const poll = { timeout: WAIT_MS, interval: 5 };

if (SKIP_PTY) console.warn(`Skipping the SerialTransport PTY tests: ${PTY_SKIP_REASON}`);

const test = ptyTest((driverEnd) => new SerialTransport({ path: driverEnd, baudRate: 9600 }));

describe.skipIf(SKIP_PTY)('SerialTransport over a socat PTY pair (needs the Debian package socat)', () => {
  test('bytes written arrive at the device, whole and in order', async ({ device, transport, pty }) => {
    expect(transport.description).toBe(`serial:${pty.driverEnd}?baud=9600`);
    await transport.open();
    expect(transport.isOpen).toBe(true);
    const parts = [
      Buffer.from([0x1b, 0x40]),
      Buffer.from('收银小票\n', 'utf8'),
      Buffer.alloc(20_000, 0x2d),
      Buffer.from([0x1d, 0x56, 0x00]),
    ];
    await Promise.all(parts.map((part) => transport.write(part)));
    const expected = Buffer.concat(parts);
    await expect.poll(() => device.bytes().length, poll).toBe(expected.length);
    expect(device.bytes().equals(expected)).toBe(true);
  });

  test('bytes from the device arrive as data events, in order', async ({ device, transport }) => {
    const seen = record(transport);
    await transport.open();
    const answer = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 253));
    await device.write(answer.subarray(0, 1));
    await device.write(answer.subarray(1));
    await expect.poll(() => Buffer.concat(seen.data).length, poll).toBe(answer.length);
    expect(Buffer.concat(seen.data).equals(answer)).toBe(true);
  });

  test('close(): one close event without an error; the port can be opened again', async ({
    device,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    await transport.close();
    await transport.close();
    expect(transport.isOpen).toBe(false);
    expect(seen.closes).toEqual([undefined]);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });

    await transport.open();
    await transport.write(Buffer.from('again'));
    await expect.poll(() => device.bytes().toString(), poll).toBe('again');
    await device.write(Buffer.from([0x12]));
    await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('12');
  });

  test('unplug (socat killed): one close event with DISCONNECTED', async ({ device, transport, pty }) => {
    const seen = record(transport);
    await transport.open();
    await transport.write(Buffer.from('before'));
    await expect.poll(() => device.bytes().toString(), poll).toBe('before');

    await pty.close();
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]).toBeInstanceOf(TransportError);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
    expect(seen.closes[0]?.message).toContain(transport.description);
    expect(transport.isOpen).toBe(false);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    await transport.close();
    expect(seen.closes).toHaveLength(1);
  });

  test('writes pending at an unplug reject with CLOSED', async ({ transport, pty }) => {
    const seen = record(transport);
    await transport.open();
    // Nobody reads the device end, so 1 MiB cannot get through the PTY buffers: the write stays pending.
    const writes = Promise.allSettled([
      transport.write(Buffer.alloc(1 << 20, 0x41)),
      transport.write(Buffer.from('tail')),
    ]);
    await pty.close();
    for (const result of await writes) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(TransportError);
        expect(result.reason.code).toBe('CLOSED');
      }
    }
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
  });
});

describe('SerialTransport without a device', () => {
  it('a missing path: NOT_FOUND, and nothing is left open', async () => {
    const missing = path.join(os.tmpdir(), `no-such-serial-port-${process.pid}-${Date.now()}`);
    const transport = new SerialTransport({ path: missing, baudRate: 19_200 });
    const seen = record(transport);
    const open = transport.open();
    await expect(open).rejects.toBeInstanceOf(TransportError);
    await expect(open).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(open).rejects.toThrow(missing);
    expect(transport.isOpen).toBe(false);
    await transport.close();
    expect(seen.closes).toEqual([]);
  });
});
