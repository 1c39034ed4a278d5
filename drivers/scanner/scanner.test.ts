/**
 * The scanner driver against simulated devices: HID POS and keyboard-wedge scanners through the
 * HID seam with specified report bytes (there is no /dev/uhid here), and a serial scanner on a real
 * PTY pair.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openPtyPair, PTY_SKIP_REASON, type PtyPair, SKIP_PTY } from '../../test-hardware/pty.ts';
import { FakeHidBackend } from '../../test-hardware/scanner-sim/fake-hid.ts';
import {
  bootKeyboardReports,
  hidPosReports,
  noiseReports,
  rolloverReport,
} from '../../test-hardware/scanner-sim/hid-reports.ts';
import { SerialScannerSimulator } from '../../test-hardware/scanner-sim/serial-scanner.ts';
import type { HidBackend } from '../transport/hid.ts';
import { BaseTransport, TransportError } from '../transport/transport.ts';
import { DEFAULT_MAX_KEYBOARD_CHARS } from './codec/boot-keyboard.ts';
import type { RawScan } from './raw-scan.ts';
import {
  DEFAULT_RECONNECT_INITIAL_MS,
  DEFAULT_RECONNECT_MAX_MS,
  Scanner,
  type ScannerStatus,
} from './scanner.ts';

const NEWLAND_POS = {
  vendorId: 0x1eab,
  productId: 0x1310,
  serialNumber: 'NL001',
  usagePage: 0x8c,
  usage: 0x02,
};
const NEWLAND_KBD = {
  vendorId: 0x1eab,
  productId: 0x1303,
  serialNumber: 'NL002',
  usagePage: 0x01,
  usage: 0x06,
};

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function watch(scanner: Scanner) {
  const scans: RawScan[] = [];
  const statuses: ScannerStatus[] = [];
  scanner.on('scan', (s) => scans.push(s));
  scanner.on('status', (s) => statuses.push(s));
  stops.push(() => scanner.stop());
  const until = async (check: () => boolean, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`timed out; states: ${statuses.map((s) => s.state).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const texts = () => scans.map((s) => Buffer.from(s.bytes).toString('latin1'));
  return { scans, statuses, until, texts };
}

const fast = { reconnect: { initialMs: 10, maxMs: 50 } };
/**
 * The simulator types in this test's process: on a loaded machine a stall of it between two bytes
 * could pass the driver's 50 ms inter-byte timeout and cut a code. Codes here end with their
 * suffix, so a longer timeout changes nothing else.
 */
const SLACK_MS = 500;

describe('HID POS scanner', () => {
  it('reads codes, one split over reports, with their symbology, ignoring noise', async () => {
    const hid = new FakeHidBackend();
    const device = hid.plug(NEWLAND_POS);
    const scanner = new Scanner({ address: 'hid:1eab:1310:NL001', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    expect((await scanner.start()).state).toBe('ready');
    expect(scanner.status().device).toMatchObject({ path: device.path, serialNumber: 'NL001' });

    const long = `WIFI:T:WPA;S:Noodle Shop;P:${'x'.repeat(120)};;`;
    device.sendAll(noiseReports(3, 7));
    device.sendAll(hidPosReports('281234567890123456'));
    device.sendAll(hidPosReports(long, { aim: ']Q1' }));
    device.sendAll(hidPosReports('6901234567892', { aim: ']E0' }));
    await w.until(() => w.scans.length === 3);
    expect(w.texts()).toEqual(['281234567890123456', long, '6901234567892']);
    expect(w.scans.map((s) => s.symbology)).toEqual(['qr', 'qr', 'ean-13']);
    expect(w.scans[0]?.source).toBe('hid:1eab:1310:NL001');
  });

  it('suppresses the same code read again within the window, and counts it', async () => {
    const hid = new FakeHidBackend();
    const device = hid.plug(NEWLAND_POS);
    const scanner = new Scanner({
      address: 'hid:1eab:1310',
      loadHid: async () => hid,
      duplicateWindowMs: 60_000,
    });
    const w = watch(scanner);
    await scanner.start();
    for (let i = 0; i < 3; i++) device.sendAll(hidPosReports('281234567890123456'));
    device.sendAll(hidPosReports('6901234567892'));
    await w.until(() => w.scans.length === 2);
    expect(w.texts()).toEqual(['281234567890123456', '6901234567892']);
    expect(scanner.status()).toMatchObject({ scans: 2, suppressed: 2 });
  });

  it('drops a code cut by an unplug, and after the replug is the same scanner at a new path', async () => {
    const hid = new FakeHidBackend();
    let device = hid.plug(NEWLAND_POS);
    const firstPath = device.path;
    const scanner = new Scanner({ address: 'hid:1eab:1310:NL001', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    await scanner.start();
    const reports = hidPosReports('x'.repeat(100)); // two reports: the first says "more follows"
    device.send(reports[0] as Buffer);
    device.unplug();
    await w.until(() => scanner.status().state === 'reconnecting');
    expect(scanner.status().reason).toMatch(/went away|DISCONNECTED|unplug/i);
    device = device.replug();
    expect(device.path).not.toBe(firstPath);
    await w.until(() => scanner.status().state === 'ready');
    expect(scanner.status()).toMatchObject({ uri: 'hid:1eab:1310:NL001', disconnects: 1 });
    expect(scanner.status().device?.path).toBe(device.path);
    device.sendAll(hidPosReports('281234567890123456'));
    await w.until(() => w.scans.length === 1);
    expect(w.texts()).toEqual(['281234567890123456']);
  });

  it('waits for a scanner that is not plugged in, and picks the HID POS interface of a two-interface scanner', async () => {
    const hid = new FakeHidBackend();
    const scanner = new Scanner({ address: 'hid:1eab:1310', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    expect(await scanner.start()).toMatchObject({
      state: 'reconnecting',
      reason: 'No USB scanner 1eab:1310 is plugged in.',
    });
    hid.plug({ ...NEWLAND_POS, usagePage: 0x01, usage: 0x06 }); // its keyboard interface
    const pos = hid.plug(NEWLAND_POS);
    await w.until(() => scanner.status().state === 'ready');
    expect(scanner.status().device?.path).toBe(pos.path);
  });

  it('opens the unit whose serial number is in the address, not another of the same model, also after re-enumeration', async () => {
    const hid = new FakeHidBackend();
    // The other unit is listed first: a driver that ignored the serial number would take it.
    const other = hid.plug({ ...NEWLAND_POS, serialNumber: 'NL009' });
    let mine = hid.plug(NEWLAND_POS);
    const scanner = new Scanner({ address: 'hid:1eab:1310:NL001', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    expect(await scanner.start()).toMatchObject({
      state: 'ready',
      device: { path: mine.path, serialNumber: 'NL001' },
    });
    other.sendAll(hidPosReports('134567890123456789'));
    mine.sendAll(hidPosReports('281234567890123456'));
    await w.until(() => w.scans.length === 1);

    // Unplugged: the other unit is still there, and is not taken instead.
    mine.unplug();
    await w.until(
      () => scanner.status().state === 'ready' || /serial number/.test(scanner.status().reason ?? ''),
    );
    expect(scanner.status()).toMatchObject({
      state: 'reconnecting',
      reason: 'No USB scanner 1eab:1310 with serial number NL001 is plugged in.',
    });
    expect(other.openSources).toBe(0);

    // Plugged in again it re-enumerates after the other unit, at a new path: found by serial number.
    mine = mine.replug();
    await w.until(() => scanner.status().state === 'ready');
    expect(scanner.status()).toMatchObject({
      disconnects: 1,
      device: { path: mine.path, serialNumber: 'NL001' },
    });
    other.sendAll(hidPosReports('134567890123456780'));
    mine.sendAll(hidPosReports('6901234567892', { aim: ']E0' }));
    await w.until(() => w.scans.length === 2);
    expect(w.texts()).toEqual(['281234567890123456', '6901234567892']);
    expect(other.openSources).toBe(0);
  });

  it('tells a scanner in the wrong mode what to set', async () => {
    const hid = new FakeHidBackend();
    hid.plug(NEWLAND_KBD);
    const scanner = new Scanner({ address: 'hid:1eab:1303', loadHid: async () => hid, ...fast });
    watch(scanner);
    const status = await scanner.start();
    expect(status.state).toBe('reconnecting');
    expect(status.reason).toMatch(
      /no HID POS interface .*set it to HID POS mode, or address it as wedge:1eab:1303/,
    );
  });

  it('is unavailable, with the package to install, when the HID library cannot load; and does not retry', async () => {
    let loads = 0;
    const scanner = new Scanner({
      address: 'hid:1eab:1310',
      loadHid: async () => {
        loads++;
        throw new TransportError(
          'UNAVAILABLE',
          'HID scanners are unavailable: libusb-1.0.so.0: cannot open shared object file (install the Debian package libusb-1.0-0).',
        );
      },
      ...fast,
    });
    watch(scanner);
    expect(await scanner.start()).toMatchObject({ state: 'unavailable', package: 'libusb-1.0-0' });
    await new Promise((r) => setTimeout(r, 100));
    expect(loads).toBe(1);
  });
});

describe('reconnect backoff', () => {
  /** A HID backend that notes the (fake) time of every attempt to find the scanner. */
  function countingBackend(hid: FakeHidBackend, attempts: number[]): HidBackend {
    return {
      devices: async () => {
        attempts.push(Date.now());
        return hid.devices();
      },
      open: (device) => hid.open(device),
    };
  }
  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

  it('waits twice as long after each failed attempt, up to the cap, and starts over after a success', async () => {
    vi.useFakeTimers({ now: 0 });
    const hid = new FakeHidBackend();
    const attempts: number[] = [];
    const backend = countingBackend(hid, attempts);
    const scanner = new Scanner({
      address: 'hid:1eab:1310:NL001',
      loadHid: async () => backend,
      reconnect: { initialMs: 100, maxMs: 1_000 },
    });
    try {
      expect((await scanner.start()).state).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(3_500);
      expect(gaps(attempts)).toEqual([100, 200, 400, 800, 1_000, 1_000]);

      const device = hid.plug(NEWLAND_POS);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(scanner.status().state).toBe('ready');
      const connectedAt = attempts.at(-1) as number;
      device.unplug();
      await vi.advanceTimersByTimeAsync(1_500);
      // A fresh outage starts from the initial delay again.
      expect(gaps([connectedAt, ...attempts.filter((t) => t > connectedAt)])).toEqual([100, 200, 400, 800]);
    } finally {
      await scanner.stop();
      vi.useRealTimers();
    }
  });

  it('by default starts at 200 ms and is capped at 5 s', async () => {
    expect([DEFAULT_RECONNECT_INITIAL_MS, DEFAULT_RECONNECT_MAX_MS]).toEqual([200, 5_000]);
    vi.useFakeTimers({ now: 0 });
    const attempts: number[] = [];
    const backend = countingBackend(new FakeHidBackend(), attempts);
    const scanner = new Scanner({ address: 'hid:1eab:1310', loadHid: async () => backend });
    try {
      await scanner.start();
      await vi.advanceTimersByTimeAsync(200 + 400 + 800 + 1_600 + 3_200 + 5_000 + 5_000);
      expect(gaps(attempts)).toEqual([200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    } finally {
      await scanner.stop();
      vi.useRealTimers();
    }
  });
});

describe('keyboard-wedge scanner through HID', () => {
  it('decodes boot-keyboard reports with shift and rollover, and marks a garbled code', async () => {
    const hid = new FakeHidBackend();
    const device = hid.plug(NEWLAND_KBD);
    const scanner = new Scanner({ address: 'wedge:1eab:1303:NL002', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    await scanner.start();
    device.sendAll(bootKeyboardReports('WIFI:T:WPA;S:Shop;P:Pa$$w0rd!;;'));
    device.send(rolloverReport());
    device.sendAll(bootKeyboardReports(']E06901234567892'));
    // F1 (0x3a) typed inside a code: the code is not passed on as if it were whole.
    device.sendAll([
      ...bootKeyboardReports('12', { enter: false }),
      Buffer.from([0, 0, 0x3a, 0, 0, 0, 0, 0]),
      ...bootKeyboardReports('34'),
    ]);
    await w.until(() => w.scans.length === 3);
    expect(w.texts().slice(0, 2)).toEqual(['WIFI:T:WPA;S:Shop;P:Pa$$w0rd!;;', '6901234567892']);
    expect(w.scans[1]?.symbology).toBe('ean-13');
    expect(w.scans[2]?.fault).toMatch(/keys without a character/);
  });

  it('drops a code over the length limit, saying so rather than blaming the keyboard layout', async () => {
    const hid = new FakeHidBackend();
    const device = hid.plug(NEWLAND_KBD);
    const scanner = new Scanner({ address: 'wedge:1eab:1303:NL002', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    await scanner.start();
    // Codes run together (no Enter between them) past the decoder's limit.
    device.sendAll(bootKeyboardReports('2'.repeat(DEFAULT_MAX_KEYBOARD_CHARS + 5)));
    await w.until(() => w.scans.length === 1);
    expect(w.scans[0]?.fault).toBe(
      `the code was longer than the limit of ${DEFAULT_MAX_KEYBOARD_CHARS} characters (5 more were typed), so it was dropped: check the scanner sends Enter after each code`,
    );
  });

  it('drops a half-typed code on unplug, and after the replug is the same unit, not another of the same model', async () => {
    const hid = new FakeHidBackend();
    const other = hid.plug({ ...NEWLAND_KBD, serialNumber: 'NL003' });
    let mine = hid.plug(NEWLAND_KBD);
    const scanner = new Scanner({ address: 'wedge:1eab:1303:NL002', loadHid: async () => hid, ...fast });
    const w = watch(scanner);
    expect(await scanner.start()).toMatchObject({
      state: 'ready',
      device: { path: mine.path, serialNumber: 'NL002' },
    });
    other.sendAll(bootKeyboardReports('134567890123456789'));
    mine.sendAll(bootKeyboardReports('28123456', { enter: false })); // the cable goes mid-code
    mine.unplug();
    await w.until(
      () => scanner.status().state === 'ready' || /serial number/.test(scanner.status().reason ?? ''),
    );
    expect(scanner.status()).toMatchObject({
      state: 'reconnecting',
      reason: 'No USB scanner 1eab:1303 with serial number NL002 is plugged in.',
    });
    mine = mine.replug();
    await w.until(() => scanner.status().state === 'ready');
    expect(scanner.status()).toMatchObject({
      uri: 'wedge:1eab:1303:NL002',
      disconnects: 1,
      device: { path: mine.path, serialNumber: 'NL002' },
    });
    other.sendAll(bootKeyboardReports('134567890123456780'));
    mine.sendAll(bootKeyboardReports('6901234567892'));
    await w.until(() => w.scans.length === 1);
    // Not '281234566901234567892': the half code before the unplug is gone.
    expect(w.texts()).toEqual(['6901234567892']);
    expect(w.scans[0]?.fault).toBeUndefined();
  });
});

/** A serial line through the transport seam: the test hands the driver bytes as the OS would. */
class SeamSerial extends BaseTransport {
  readonly description = 'serial:seam';
  protected async doOpen(): Promise<void> {}
  protected async doWrite(): Promise<void> {}
  protected async doClose(): Promise<void> {}
  feed(text: string) {
    this.received(Buffer.from(text, 'latin1'));
  }
  /** The cable is pulled: `close` with DISCONNECTED. */
  unplug() {
    this.lost(new TransportError('DISCONNECTED', 'serial:seam went away: the cable was pulled.'));
  }
}

describe('serial scanner timing', () => {
  it('still ends a code without its suffix when the timer fires before its time by the clock', async () => {
    // libuv rounds its clock to whole milliseconds, so a timer may run a little before
    // performance.now() reaches the deadline. Here the clock stands still for the first firing.
    let now = 0;
    const line = new SeamSerial();
    const scanner = new Scanner({
      address: 'serial:/dev/seam?suffix=cr&timeout=20',
      openSerial: () => line,
      clock: () => now,
      ...fast,
    });
    const w = watch(scanner);
    expect((await scanner.start()).state).toBe('ready');
    line.feed('281234567890123456');
    await new Promise((r) => setTimeout(r, 60)); // the timer fired while the clock said 0 ms
    expect(w.scans).toEqual([]);
    now = 1_000;
    await w.until(() => w.scans.length === 1, 2_000);
    expect(w.texts()).toEqual(['281234567890123456']);
  });

  it('never passes on a half code cut by an unplug, even after its inter-byte timeout has passed', async () => {
    const line = new SeamSerial();
    const scanner = new Scanner({
      address: 'serial:/dev/seam?suffix=cr&timeout=20',
      openSerial: () => line,
      ...fast,
    });
    const w = watch(scanner);
    await scanner.start();
    line.feed('281234567');
    line.unplug();
    expect(scanner.status()).toMatchObject({ state: 'reconnecting', disconnects: 1 });
    await w.until(() => scanner.status().state === 'ready'); // reopened: the seam is "plugged in" again
    await new Promise((r) => setTimeout(r, 100)); // well past the 20 ms inter-byte timeout
    expect(w.scans).toEqual([]);
    line.feed('6901234567892\r');
    await w.until(() => w.scans.length === 1);
    expect(w.texts()).toEqual(['6901234567892']);
  });
});

describe.skipIf(SKIP_PTY)(`serial scanner on a real PTY (${PTY_SKIP_REASON})`, () => {
  async function pair(): Promise<PtyPair & { dir: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-scan-'));
    const p = await openPtyPair(dir);
    stops.push(async () => {
      await p.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { ...p, dir };
  }

  it.each(['cr', 'lf', 'crlf'] as const)(
    'reads codes ended by %s, with an AIM prefix split off',
    async (suffix) => {
      const p = await pair();
      const sim = new SerialScannerSimulator({ pair: p });
      stops.push(() => sim.close());
      await sim.open();
      const scanner = new Scanner({
        address: `serial:${p.driverEnd}?suffix=${suffix}&timeout=${SLACK_MS}`,
        ...fast,
      });
      const w = watch(scanner);
      expect((await scanner.start()).state).toBe('ready');
      await sim.type('281234567890123456', { suffix });
      await sim.type('6901234567892', { suffix, aim: ']E0' });
      await w.until(() => w.scans.length === 2);
      expect(w.texts()).toEqual(['281234567890123456', '6901234567892']);
      expect(w.scans.map((s) => s.symbology)).toEqual(['unknown', 'ean-13']);
    },
  );

  it('recovers a lost suffix by the inter-byte timeout, and keeps noise apart', async () => {
    const p = await pair();
    const sim = new SerialScannerSimulator({ pair: p });
    stops.push(() => sim.close());
    await sim.open();
    const scanner = new Scanner({ address: `serial:${p.driverEnd}?suffix=cr&timeout=150`, ...fast });
    const w = watch(scanner);
    await scanner.start();
    // Each code in one write: the 150 ms timeout under test must not be raced by a stall of this
    // process between two bytes (the simulator types here).
    const oneWrite = { charDelayMs: 0 };
    await sim.type('281234567890123456', { dropSuffix: true, ...oneWrite });
    await w.until(() => w.scans.length === 1);
    await sim.type(Uint8Array.of(0x00, 0xff), { suffix: 'none', ...oneWrite });
    await new Promise((r) => setTimeout(r, 400));
    await sim.type('6901234567892', oneWrite);
    await w.until(() => w.scans.length === 3);
    expect(w.texts()).toEqual(['281234567890123456', '\x00\xff', '6901234567892']);
  });

  it('goes to reconnecting when the line is cut mid-code, and never passes the half code on', async () => {
    const p = await pair();
    const sim = new SerialScannerSimulator({ pair: p });
    await sim.open();
    const scanner = new Scanner({ address: `serial:${p.driverEnd}?suffix=cr&timeout=${SLACK_MS}`, ...fast });
    const w = watch(scanner);
    await scanner.start();
    await sim.unplugMidCode('281234567890123456');
    await w.until(() => scanner.status().state === 'reconnecting');
    // Past the inter-byte timeout (SLACK_MS) of the half code: a timer left running, or bytes left
    // in the framer, would pass it on by now.
    await new Promise((r) => setTimeout(r, SLACK_MS + 200));
    expect(w.scans).toEqual([]);
    expect(scanner.status().disconnects).toBe(1);
  });

  it('reopens the same by-id path after a replug and reads on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-scan-'));
    stops.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const names = { device: 'sim-end', driver: 'usb-Newland_EM3296-if00' };
    let p = await openPtyPair(dir, 5_000, names);
    let sim = new SerialScannerSimulator({ pair: p });
    await sim.open();
    const scanner = new Scanner({ address: `serial:${p.driverEnd}?suffix=cr&timeout=${SLACK_MS}`, ...fast });
    const w = watch(scanner);
    await scanner.start();
    await sim.type('281234567890123456');
    await w.until(() => w.scans.length === 1);
    await sim.close();
    await p.close(); // unplugged: the link disappears
    await w.until(() => scanner.status().state === 'reconnecting');
    p = await openPtyPair(dir, 5_000, names); // plugged in again, same by-id name
    stops.push(() => p.close());
    sim = new SerialScannerSimulator({ pair: p });
    stops.push(() => sim.close());
    await sim.open();
    await w.until(() => scanner.status().state === 'ready');
    await sim.type('6901234567892');
    await w.until(() => w.scans.length === 2);
    expect(w.texts()).toEqual(['281234567890123456', '6901234567892']);
    expect(scanner.status()).toMatchObject({
      disconnects: 1,
      uri: `serial:${p.driverEnd}?baud=9600&suffix=cr&timeout=${SLACK_MS}`,
    });
  });
});
