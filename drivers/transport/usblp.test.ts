/**
 * UsblpTransport over a real PTY pair made by `socat`: /dev/usb/lp* is a character device opened
 * non-blocking, and so is a PTY, so the transport opens one end and the "printer" (a plain
 * `serialport` port) the other. What a PTY cannot show: the usblp driver's own answers (ENODEV after
 * an unplug, zero-length reads from an idle printer).
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PTY_SKIP_REASON, ptyTest, SKIP_PTY } from '../../test-hardware/pty.ts';
import { recordEvents as record } from './testing.ts';
import { TransportError } from './transport.ts';
import { UsblpTransport } from './usblp.ts';

/** How long a test waits for bytes or events that should come at once through a PTY. */
const WAIT_MS = 5_000;
const poll = { timeout: WAIT_MS, interval: 5 };

if (SKIP_PTY) console.warn(`Skipping the UsblpTransport PTY tests: ${PTY_SKIP_REASON}`);

const test = ptyTest((driverEnd) => new UsblpTransport({ path: driverEnd }));

describe.skipIf(SKIP_PTY)('UsblpTransport over a socat PTY pair (needs the Debian package socat)', () => {
  test('bytes written arrive at the printer, whole and in order', async ({ device, transport, pty }) => {
    expect(transport.description).toBe(`lp:${pty.driverEnd}`);
    await transport.open();
    expect(transport.isOpen).toBe(true);
    const parts = [Buffer.from([0x1b, 0x40]), Buffer.from('Total 12.50\n'), Buffer.from([0x1d, 0x56, 0x00])];
    for (const part of parts) await transport.write(part);
    const expected = Buffer.concat(parts);
    await expect.poll(() => device.bytes().length, poll).toBe(expected.length);
    expect(device.bytes().equals(expected)).toBe(true);
  });

  test('overlapping writes larger than the device buffer arrive whole and in call order', async ({
    device,
    transport,
  }) => {
    await transport.open();
    // Each job is far larger than the PTY buffer, so every write is cut into partial writes with
    // EAGAIN in between: the moment a second write could slip in.
    const jobs = [0x41, 0x42, 0x43].map((byte) => Buffer.alloc(100_000, byte));
    await Promise.all(jobs.map((job) => transport.write(job)));
    const expected = Buffer.concat(jobs);
    await expect.poll(() => device.bytes().length, poll).toBe(expected.length);
    expect(device.bytes().equals(expected)).toBe(true);
  });

  test('the printer’s answers arrive as data events, in order', async ({ device, transport }) => {
    const seen = record(transport);
    await transport.open();
    await device.write(Buffer.from([0x12]));
    // Longer than the transport's read buffer: it comes in several reads.
    const answer = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await device.write(answer);
    const expected = Buffer.concat([Buffer.from([0x12]), answer]);
    await expect.poll(() => Buffer.concat(seen.data).length, poll).toBe(expected.length);
    expect(Buffer.concat(seen.data).equals(expected)).toBe(true);
  });

  test('close(): one close event without an error; the node can be opened again', async ({
    device,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    await Promise.all([transport.close(), transport.close()]);
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

  test('hang-up (socat killed): the next write rejects with CLOSED, one close event with DISCONNECTED', async ({
    device,
    transport,
    pty,
  }) => {
    const seen = record(transport);
    await transport.open();
    await transport.write(Buffer.from('before'));
    await expect.poll(() => device.bytes().toString(), poll).toBe('before');

    // A hung-up tty reads as end-of-file (0 bytes), which the read loop cannot tell from an idle
    // printer; the write is what finds out (EIO).
    await pty.close();
    const write = transport.write(Buffer.from('after'));
    await expect(write).rejects.toBeInstanceOf(TransportError);
    await expect(write).rejects.toMatchObject({ code: 'CLOSED' });
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
    expect(seen.closes[0]?.message).toContain(transport.description);
    expect(transport.isOpen).toBe(false);
    await transport.close();
    expect(seen.closes).toHaveLength(1);
  });
});

describe('UsblpTransport without a printer', () => {
  it('a missing node: NOT_FOUND, and nothing is left open', async () => {
    const missing = path.join(os.tmpdir(), `no-such-usblp-${process.pid}-${Date.now()}`, 'lp0');
    const transport = new UsblpTransport({ path: missing });
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
