/**
 * The fake HID backend keeps the rules of the seam in drivers/transport/hid.ts: paths that change on
 * re-enumeration, one `close` per open, no report after it, NOT_FOUND for a device that is gone.
 */
import { test as base, describe, expect } from 'vitest';
import type { HidBackend, HidReportSource } from '../../drivers/transport/hid.ts';
import { TransportError } from '../../drivers/transport/transport.ts';
import { FakeHidBackend, type PluggedHidDevice } from './fake-hid.ts';
import { hidPosReports } from './hid-reports.ts';

const SCANNER = {
  vendorId: 0x0c2e,
  productId: 0x0b61,
  serialNumber: '21345B0F3B',
  product: 'Xenon 1900',
  usagePage: 0x8c,
  usage: 0x02,
  interface: 0,
};

/** What one open source saw, in order. */
interface Seen {
  reports: string[];
  closes: (TransportError | undefined)[];
}

function watch(source: HidReportSource): Seen {
  const seen: Seen = { reports: [], closes: [] };
  source.on('report', (r) => seen.reports.push(r.toString('hex')));
  source.on('close', (err) => seen.closes.push(err));
  return seen;
}

const test = base.extend<{ backend: FakeHidBackend; scanner: PluggedHidDevice }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  backend: async ({}, use) => {
    await use(new FakeHidBackend());
  },
  scanner: async ({ backend }, use) => {
    await use(backend.plug(SCANNER));
  },
});

describe('FakeHidBackend', () => {
  test('implements the seam: devices() lists copies with a /dev/hidrawN path', async ({
    backend,
    scanner,
  }) => {
    const seam: HidBackend = backend;
    const listed = await seam.devices();
    expect(listed).toEqual([{ ...SCANNER, path: '/dev/hidraw0' }]);
    expect(scanner.path).toBe('/dev/hidraw0');
    // Changing what was returned changes nothing in the backend.
    if (listed[0]) listed[0].path = '/dev/elsewhere';
    listed.pop();
    expect(await seam.devices()).toEqual([{ ...SCANNER, path: '/dev/hidraw0' }]);
  });

  test('a report reaches every open source, each with its own copy', async ({ backend, scanner }) => {
    const a = await backend.open(scanner.info);
    const b = await backend.open(scanner.info);
    const copies: Buffer[] = [];
    a.on('report', (r) => {
      copies.push(r);
      r.fill(0xff);
    });
    const seen = watch(b);
    const [report] = hidPosReports('123');
    if (!report) throw new Error('no report');
    expect(scanner.send(report)).toBe(2);
    expect(seen.reports).toEqual([report.toString('hex')]);
    expect(copies[0]).not.toBe(report);
    expect(report[0]).toBe(0x02);
    expect(scanner.openSources).toBe(2);
  });

  test('close(): one close without an error, idempotent; no report after it', async ({
    backend,
    scanner,
  }) => {
    const source = await backend.open(scanner.info);
    const seen = watch(source);
    scanner.sendAll(hidPosReports('A'));
    await source.close();
    await source.close();
    expect(scanner.send(Buffer.alloc(64))).toBe(0);
    expect(seen.reports).toHaveLength(1);
    expect(seen.closes).toEqual([undefined]);
    expect(source.isOpen).toBe(false);
    expect(scanner.openSources).toBe(0);
  });

  test('a listener that closes its source mid-code gets nothing after', async ({ backend, scanner }) => {
    const source = await backend.open(scanner.info);
    const seen = watch(source);
    source.on('report', () => void source.close());
    scanner.sendAll(hidPosReports('x'.repeat(130)));
    expect(seen.reports).toHaveLength(1);
    expect(seen.closes).toEqual([undefined]);
  });

  test('unplug mid-code: the reports so far, then one close with DISCONNECTED', async ({
    backend,
    scanner,
  }) => {
    const source = await backend.open(scanner.info);
    const seen = watch(source);
    const reports = hidPosReports('x'.repeat(130));
    scanner.sendAll(reports.slice(0, 2));
    scanner.unplug();
    scanner.unplug();
    await source.close();
    expect(seen.reports).toEqual(reports.slice(0, 2).map((r) => r.toString('hex')));
    expect(seen.closes).toHaveLength(1);
    expect(seen.closes[0]).toBeInstanceOf(TransportError);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
    expect(seen.closes[0]?.message).toContain('hid:/dev/hidraw0');
    expect(() => scanner.send(Buffer.alloc(64))).toThrow(expect.objectContaining({ code: 'UNPLUGGED' }));
    expect(scanner.plugged).toBe(false);
    expect(await backend.devices()).toEqual([]);
  });

  test('opening an unplugged device rejects with NOT_FOUND, also when unplugged right after open()', async ({
    backend,
    scanner,
  }) => {
    const opening = backend.open(scanner.info);
    scanner.unplug();
    await expect(opening).rejects.toMatchObject({ name: 'TransportError', code: 'NOT_FOUND' });
    await expect(backend.open(scanner.info)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(backend.open({ ...scanner.info, path: '/dev/hidraw9' })).rejects.toBeInstanceOf(
      TransportError,
    );
  });

  test('re-plug: a new path, the same serial number; the old path is gone', async ({ backend, scanner }) => {
    const other = backend.plug({ vendorId: 0x05e0, productId: 0x1200, serialNumber: 'K1' });
    const again = scanner.replug();
    expect(again.path).toBe('/dev/hidraw2');
    expect(again.info.serialNumber).toBe(SCANNER.serialNumber);
    expect((await backend.devices()).map((d) => [d.path, d.serialNumber])).toEqual([
      [other.path, 'K1'],
      ['/dev/hidraw2', SCANNER.serialNumber],
    ]);
    await expect(backend.open(scanner.info)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const found = (await backend.devices()).find((d) => d.serialNumber === SCANNER.serialNumber);
    if (!found) throw new Error('the re-plugged scanner is not listed');
    const source = await backend.open(found);
    const seen = watch(source);
    again.sendAll(hidPosReports('OK'));
    expect(seen.reports).toHaveLength(1);
    expect(source.description).toBe('hid:/dev/hidraw2');
  });

  test('failWith: devices() and open() reject until cleared; open sources keep working', async ({
    backend,
    scanner,
  }) => {
    const source = await backend.open(scanner.info);
    const seen = watch(source);
    const unavailable = new TransportError('UNAVAILABLE', 'HID scanners are unavailable: libusb missing');
    backend.failWith(unavailable);
    await expect(backend.devices()).rejects.toBe(unavailable);
    await expect(backend.open(scanner.info)).rejects.toBe(unavailable);
    scanner.sendAll(hidPosReports('1'));
    expect(seen.reports).toHaveLength(1);
    backend.failWith(null);
    expect(await backend.devices()).toHaveLength(1);
  });
});
