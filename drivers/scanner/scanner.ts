/**
 * A scanner: one logical device at one address, opened through its transport, decoded by its codec,
 * and kept open by a supervisor. It emits `scan` with a {@link RawScan} for every code read (repeats
 * within the duplicate window suppressed) and `status` whenever its {@link ScannerStatus} changes.
 *
 * Supervision: `start()` opens the device; when it is missing or goes away (unplug) the scanner
 * becomes `reconnecting` and tries again with backoff, finding a USB scanner again by its ids and
 * serial number under whatever path it re-enumerates with. A missing native library makes it
 * `unavailable` with the reason and the package to install; that does not change without a
 * restart, so it is not retried. `stop()` closes the device and cancels retries; no event follows.
 */
import { EventEmitter } from 'node:events';
import {
  type HidBackend,
  type HidDeviceInfo,
  type HidReportSource,
  loadNodeHidBackend,
} from '../transport/hid.ts';
import { SerialTransport } from '../transport/serial.ts';
import { type Transport, TransportError } from '../transport/transport.ts';
import { formatScannerUri, parseScannerUri, type ScannerAddress } from './address.ts';
import { type Symbology, splitAimPrefix } from './codec/aim.ts';
import { BootKeyboardDecoder, keyboardScanFault } from './codec/boot-keyboard.ts';
import { DEFAULT_DUPLICATE_WINDOW_MS, DuplicateFilter } from './codec/dedupe.ts';
import { HID_POS_USAGE_PAGE, HidPosReassembler } from './codec/hid-pos.ts';
import { SerialFramer } from './codec/serial-framer.ts';
import type { RawScan } from './raw-scan.ts';

export type ScannerState = 'connecting' | 'ready' | 'reconnecting' | 'unavailable' | 'stopped';

export interface ScannerStatus {
  uri: string;
  state: ScannerState;
  /** Why it is not ready, in words for a technician. */
  reason?: string;
  /** The Debian package that would make an unavailable driver work. */
  package?: string;
  /** When the state last changed (ISO). */
  since: string;
  /** The device it has open (its path changes when it re-enumerates). */
  device?: { path: string; product?: string; manufacturer?: string; serialNumber?: string };
  scans: number;
  /** Repeats of the same code within the duplicate window, not passed on. */
  suppressed: number;
  /** Times the device went away while open. */
  disconnects: number;
}

export interface ScannerOptions {
  address: string | ScannerAddress;
  duplicateWindowMs?: number;
  reconnect?: { initialMs?: number; maxMs?: number };
  /** The HID backend (default node-hid); tests pass a fake fed with report bytes. */
  loadHid?: () => Promise<HidBackend>;
  /** Makes the serial transport (default serialport). */
  openSerial?: (path: string, baudRate: number) => Transport;
  /** Monotonic milliseconds (default performance.now). */
  clock?: () => number;
}

/** A replugged scanner is back within a second or two; a missing one is looked for every 5 s. */
export const DEFAULT_RECONNECT_INITIAL_MS = 200;
export const DEFAULT_RECONNECT_MAX_MS = 5_000;

const HID_KEYBOARD = { usagePage: 0x01, usage: 0x06 };
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export class Scanner extends EventEmitter<{ scan: [RawScan]; status: [ScannerStatus] }> {
  readonly address: ScannerAddress;
  readonly uri: string;
  private readonly options: ScannerOptions;
  private readonly clock: () => number;
  private readonly dedupe: DuplicateFilter;
  private current: { close(): Promise<void> } | null = null;
  private hid: Promise<HidBackend> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;
  private running = false;
  private info: ScannerStatus;

  constructor(options: ScannerOptions) {
    super();
    this.options = options;
    this.address = typeof options.address === 'string' ? parseScannerUri(options.address) : options.address;
    this.uri = formatScannerUri(this.address);
    this.clock = options.clock ?? (() => performance.now());
    this.dedupe = new DuplicateFilter({ windowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS });
    this.info = {
      uri: this.uri,
      state: 'stopped',
      since: new Date().toISOString(),
      scans: 0,
      suppressed: 0,
      disconnects: 0,
    };
  }

  status(): ScannerStatus {
    return { ...this.info };
  }

  /** Opens the scanner; resolves after the first attempt with its status (ready or not). */
  async start(): Promise<ScannerStatus> {
    if (this.running) return this.status();
    this.running = true;
    this.setState({ state: 'connecting' });
    await this.attempt();
    return this.status();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const current = this.current;
    this.current = null;
    await current?.close();
    this.setState({ state: 'stopped' });
  }

  private async attempt(): Promise<void> {
    this.retry = null;
    if (!this.running) return;
    try {
      const opened = this.address.scheme === 'serial' ? await this.openSerial() : await this.openHid();
      if (!this.running) {
        await opened.close();
        return;
      }
      this.attempts = 0;
      this.setState({ state: 'ready', device: opened.device });
    } catch (err) {
      if (!this.running) return;
      const error =
        err instanceof TransportError
          ? err
          : new TransportError('IO', (err as Error)?.message ?? String(err));
      if (error.code === 'UNAVAILABLE') {
        this.setState({ state: 'unavailable', reason: error.message, package: packageIn(error.message) });
        return;
      }
      this.setState({ state: 'reconnecting', reason: error.message });
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (!this.running || this.retry) return;
    const initial = this.options.reconnect?.initialMs ?? DEFAULT_RECONNECT_INITIAL_MS;
    const max = this.options.reconnect?.maxMs ?? DEFAULT_RECONNECT_MAX_MS;
    const delay = Math.min(max, initial * 2 ** this.attempts);
    this.attempts++;
    // Not unref'd: a started scanner keeps the process alive, as an open port does, until stop().
    this.retry = setTimeout(() => void this.attempt(), delay);
  }

  /** The device went away while open. */
  private lost(err: TransportError): void {
    this.current = null;
    if (!this.running) return;
    this.info.disconnects++;
    this.setState({ state: 'reconnecting', reason: err.message });
    this.scheduleRetry();
  }

  private emitScan(bytes: Uint8Array, symbology: Symbology, fault?: string): void {
    const receivedAt = this.clock();
    if (!this.dedupe.accept(bytes, receivedAt)) {
      this.info.suppressed++;
      return;
    }
    this.info.scans++;
    const scan: RawScan = { bytes, symbology, source: this.uri, receivedAt, ...(fault ? { fault } : {}) };
    this.emit('scan', scan);
  }

  private async openSerial() {
    const address = this.address as Extract<ScannerAddress, { scheme: 'serial' }>;
    const transport = this.options.openSerial
      ? this.options.openSerial(address.path, address.baudRate)
      : new SerialTransport({ path: address.path, baudRate: address.baudRate });
    const framer = new SerialFramer({
      suffix: address.suffix,
      interByteTimeoutMs: address.interByteTimeoutMs,
    });
    let timer: NodeJS.Timeout | null = null;
    const emitFrames = (frames: ReturnType<SerialFramer['push']>) => {
      for (const frame of frames) {
        const { symbology, data } = splitAimPrefix(frame.bytes);
        this.emitScan(
          data,
          symbology,
          frame.dropped > 0
            ? `the code was longer than the scanner input allows (${frame.dropped} bytes lost)`
            : undefined,
        );
      }
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const deadline = framer.deadline();
      if (deadline === undefined) return;
      // libuv may fire a timer up to a millisecond before its time by this clock: then nothing has
      // expired yet, and the timer is armed again rather than leaving the code waiting for the
      // next byte.
      timer = setTimeout(
        () => {
          emitFrames(framer.expire(this.clock()));
          arm();
        },
        Math.max(0, deadline - this.clock()) + 1,
      );
    };
    const onData = (chunk: Buffer) => {
      emitFrames(framer.push(chunk, this.clock()));
      arm();
    };
    const onClose = (err?: TransportError) => {
      if (timer) clearTimeout(timer);
      transport.off('data', onData);
      transport.off('close', onClose);
      framer.reset();
      if (err) this.lost(err);
    };
    await transport.open();
    transport.on('data', onData);
    transport.on('close', onClose);
    this.current = transport;
    return { close: () => transport.close(), device: { path: address.path } };
  }

  private async openHid() {
    const address = this.address as Extract<ScannerAddress, { scheme: 'hid' | 'wedge' }>;
    this.hid ??= (this.options.loadHid ?? loadNodeHidBackend)();
    let backend: HidBackend;
    try {
      backend = await this.hid;
    } catch (err) {
      this.hid = null;
      throw err;
    }
    const info = pickInterface(await backend.devices(), address);
    const source: HidReportSource = await backend.open(info);
    let onReport: (report: Buffer) => void;
    if (address.scheme === 'hid') {
      const reassembler = new HidPosReassembler();
      onReport = (report) => {
        const scan = reassembler.push(report);
        if (scan) this.emitScan(scan.data, scan.symbology);
      };
    } else {
      const keyboard = new BootKeyboardDecoder();
      onReport = (report) => {
        for (const typed of keyboard.push(report)) {
          const { symbology, data } = splitAimPrefix(Buffer.from(typed.text, 'latin1'));
          this.emitScan(data, symbology, keyboardScanFault(typed));
        }
      };
    }
    const onClose = (err?: TransportError) => {
      source.off('report', onReport);
      source.off('close', onClose);
      if (err) this.lost(err);
    };
    source.on('report', onReport);
    source.on('close', onClose);
    this.current = source;
    return {
      close: () => source.close(),
      device: {
        path: info.path,
        ...(info.product ? { product: info.product } : {}),
        ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}),
        ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
      },
    };
  }

  private setState(change: Partial<ScannerStatus> & { state: ScannerState }): void {
    const { reason, package: pkg, device, ...rest } = change;
    const next: ScannerStatus = {
      ...this.info,
      ...rest,
      since: change.state === this.info.state ? this.info.since : new Date().toISOString(),
    };
    delete next.reason;
    delete next.package;
    if (change.state !== 'ready') delete next.device;
    if (reason) next.reason = reason;
    if (pkg) next.package = pkg;
    if (device) next.device = device;
    const changed =
      next.state !== this.info.state ||
      next.reason !== this.info.reason ||
      next.device?.path !== this.info.device?.path;
    this.info = next;
    if (changed) this.emit('status', this.status());
  }
}

/**
 * The interface of a USB scanner to open: its ids and serial number, and the right usage page (a
 * scanner may expose a HID POS and a keyboard interface under the same ids: FIELD-NOTES.md).
 */
export function pickInterface(
  devices: readonly HidDeviceInfo[],
  address: Extract<ScannerAddress, { scheme: 'hid' | 'wedge' }>,
): HidDeviceInfo {
  const name = `${hex4(address.vendorId)}:${hex4(address.productId)}${address.serialNumber ? ` with serial number ${address.serialNumber}` : ''}`;
  const same = devices.filter(
    (d) =>
      d.vendorId === address.vendorId &&
      d.productId === address.productId &&
      (address.serialNumber === undefined || d.serialNumber === address.serialNumber),
  );
  if (same.length === 0) throw new TransportError('NOT_FOUND', `No USB scanner ${name} is plugged in.`);
  const wanted =
    address.scheme === 'hid'
      ? (d: HidDeviceInfo) => d.usagePage === HID_POS_USAGE_PAGE
      : (d: HidDeviceInfo) => d.usagePage === HID_KEYBOARD.usagePage && d.usage === HID_KEYBOARD.usage;
  const match = same.find(wanted);
  if (match) return match;
  // A backend that reports no usage pages (some libusb builds): one interface is taken as it is.
  if (same.length === 1 && same[0]?.usagePage === undefined) return same[0] as HidDeviceInfo;
  throw new TransportError(
    'NOT_FOUND',
    address.scheme === 'hid'
      ? `Scanner ${name} has no HID POS interface (usage page 0x8C): set it to HID POS mode, or address it as wedge:${hex4(address.vendorId)}:${hex4(address.productId)}.`
      : `Scanner ${name} has no keyboard interface: set it to keyboard mode, or address it as hid:${hex4(address.vendorId)}:${hex4(address.productId)}.`,
  );
}

/** The package an UNAVAILABLE message names ("... install the Debian package udev)."). */
function packageIn(message: string): string | undefined {
  return /Debian package ([a-z0-9.+-]*[a-z0-9+])/.exec(message)?.[1];
}
