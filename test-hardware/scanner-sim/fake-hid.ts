/**
 * A fake of the HID seam (drivers/transport/hid.ts) for scanner driver tests: this machine has no
 * HID scanner and no /dev/uhid, so tests plug simulated devices into {@link FakeHidBackend} and feed
 * them report bytes from hid-reports.ts.
 *
 * It keeps the seam's rules strictly, so a driver that relies on anything else fails here first:
 * - `devices()` returns fresh copies: a caller mutating one changes nothing.
 * - `open()` of a path that is not plugged in now rejects with TransportError `NOT_FOUND`, also
 *   for a device that was unplugged and plugged in again (it has a new path, as after a real
 *   re-enumeration; find it again by serial number).
 * - Each opened source emits `close` exactly once: on `close()` without an error, or on unplug with
 *   `DISCONNECTED`. No `report` after it. `close()` is idempotent.
 *
 * Reports are delivered synchronously from `send()`, each source getting its own copy, and only to
 * sources open at that moment: like hidraw, a report nobody has the device open for is lost.
 *
 *     const backend = new FakeHidBackend();
 *     const scanner = backend.plug({ vendorId: 0x0c2e, productId: 0x0b61, serialNumber: 'S1', usagePage: 0x8c });
 *     scanner.sendAll(hidPosReports('2821...'));
 *     // unplug mid-code: the first report of a long code, then the cable
 *     scanner.sendAll(hidPosReports(long).slice(0, 1)); scanner.unplug();
 */
import { EventEmitter } from 'node:events';
import type { HidBackend, HidDeviceInfo, HidReportSource } from '../../drivers/transport/hid.ts';
import { TransportError } from '../../drivers/transport/transport.ts';
import { ScannerSimError } from './errors.ts';

/** The test's hold on a plugged-in fake device. */
export interface PluggedHidDevice {
  /** What `devices()` lists for it (a copy), with the path it was given. */
  readonly info: HidDeviceInfo;
  readonly path: string;
  /** False once `unplug()` was called. */
  readonly plugged: boolean;
  /** Sources opened on it and not closed yet (a driver that leaks one shows here). */
  readonly openSources: number;
  /**
   * Emits `report` (a copy each) on every open source of this device; returns how many got it.
   * Throws UNPLUGGED after `unplug()`: the seam promises no report after `close`.
   */
  send(report: Uint8Array): number;
  /** `send()` for each report in order; returns how many sources got the last one. */
  sendAll(reports: Iterable<Uint8Array>): number;
  /**
   * Pulls the cable: the device leaves `devices()` and each open source emits `close` with
   * `DISCONNECTED`. Idempotent.
   */
  unplug(): void;
  /** Unplugs (if still plugged) and plugs the same device in again: same serial number, new path. */
  replug(): PluggedHidDevice;
}

/**
 * Lifecycle: the constructor only assigns; devices come and go with `plug()` and `unplug()`.
 * `/dev/hidrawN` numbers only increase within one backend.
 */
export class FakeHidBackend implements HidBackend {
  private readonly present = new Map<string, PluggedDevice>();
  private nextIndex = 0;
  private failure: TransportError | null = null;

  /** Plugs in a device described by `info` and gives it a fresh path `/dev/hidrawN`. */
  plug(info: Omit<HidDeviceInfo, 'path'>): PluggedHidDevice {
    const path = `/dev/hidraw${this.nextIndex}`;
    this.nextIndex += 1;
    const device = new PluggedDevice({ ...info, path }, this.present, (again) => this.plug(again));
    this.present.set(path, device);
    return device;
  }

  /**
   * From now on `devices()` and `open()` reject with `err` (e.g. `UNAVAILABLE`: libusb missing),
   * until `failWith(null)`. Sources already open are not affected.
   */
  failWith(err: TransportError | null): void {
    this.failure = err;
  }

  async devices(): Promise<HidDeviceInfo[]> {
    if (this.failure) throw this.failure;
    return [...this.present.values()].map((device) => device.info);
  }

  async open(device: HidDeviceInfo): Promise<FakeHidDevice> {
    // Let an unplug() made right after this call land first, so the answer matches the device's
    // state when the caller sees it (a source is never handed out already closed).
    await Promise.resolve();
    if (this.failure) throw this.failure;
    const plugged = this.present.get(device.path);
    if (!plugged) {
      throw new TransportError(
        'NOT_FOUND',
        `Cannot open hid:${device.path}: no such device (unplugged, or re-enumerated under a new path).`,
      );
    }
    return plugged.openSource();
  }
}

/**
 * One open of a fake device, implementing the seam's {@link HidReportSource}. Made by
 * {@link FakeHidBackend.open}; the `deliver`/`disconnect` methods are the backend's.
 */
export class FakeHidDevice extends EventEmitter implements HidReportSource {
  private closed = false;

  constructor(
    readonly description: string,
    private readonly detach: (source: FakeHidDevice) => void,
  ) {
    super();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.end();
  }

  /** @internal The device sent a report. */
  deliver(report: Buffer): boolean {
    if (this.closed) return false;
    this.emit('report', report);
    return true;
  }

  /** @internal The device went away. */
  disconnect(): void {
    this.end(new TransportError('DISCONNECTED', `${this.description} went away: the device was unplugged.`));
  }

  private end(err?: TransportError): void {
    if (this.closed) return;
    this.closed = true;
    this.detach(this);
    this.emit('close', err);
  }
}

class PluggedDevice implements PluggedHidDevice {
  private readonly sources = new Set<FakeHidDevice>();
  private isPlugged = true;

  constructor(
    private readonly described: HidDeviceInfo,
    private readonly present: Map<string, PluggedDevice>,
    private readonly plugAgain: (info: Omit<HidDeviceInfo, 'path'>) => PluggedHidDevice,
  ) {}

  get info(): HidDeviceInfo {
    return { ...this.described };
  }

  get path(): string {
    return this.described.path;
  }

  get plugged(): boolean {
    return this.isPlugged;
  }

  get openSources(): number {
    return this.sources.size;
  }

  openSource(): FakeHidDevice {
    const source = new FakeHidDevice(`hid:${this.path}`, (s) => this.sources.delete(s));
    this.sources.add(source);
    return source;
  }

  send(report: Uint8Array): number {
    if (!this.isPlugged) {
      throw new ScannerSimError('UNPLUGGED', `Cannot send a report: hid:${this.path} was unplugged.`);
    }
    let delivered = 0;
    // A listener may close its source (or unplug) while we deliver: iterate over a snapshot and let
    // each source drop what comes after its close.
    for (const source of [...this.sources]) {
      if (source.deliver(Buffer.from(report))) delivered += 1;
    }
    return delivered;
  }

  sendAll(reports: Iterable<Uint8Array>): number {
    let delivered = 0;
    for (const report of reports) delivered = this.send(report);
    return delivered;
  }

  unplug(): void {
    if (!this.isPlugged) return;
    this.isPlugged = false;
    this.present.delete(this.path);
    for (const source of [...this.sources]) source.disconnect();
  }

  replug(): PluggedHidDevice {
    this.unplug();
    const { path: _oldPath, ...rest } = this.described;
    return this.plugAgain(rest);
  }
}
