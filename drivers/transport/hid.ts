/**
 * HID devices (HID POS scanners, keyboard-wedge scanners) through `node-hid`: a stream of input
 * reports. Unlike a {@link Transport}, whose bytes arrive in arbitrary chunks, a HID device delivers
 * whole reports and their boundaries carry meaning (a HID POS report's length byte, a keyboard's
 * key state), so it has its own small seam: {@link HidBackend} lists and opens devices, a
 * {@link HidReportSource} emits one `report` event per input report. Tests feed that seam with
 * specified report bytes (test-hardware/scanner-sim); there is no /dev/uhid here to fake a device.
 *
 * Rules of every HidReportSource:
 * - `report` events carry one whole input report each, in order, the report ID first when the
 *   device numbers its reports (node-hid's hidraw backend does so on Linux).
 * - `close` is emitted exactly once: by `close()` (no error) or when the device goes away (unplug:
 *   with a `DISCONNECTED` error). After it no report is emitted; open the device again, by its
 *   serial number, to go on (its path changes when it re-enumerates).
 * - `close()` is idempotent.
 */
import { EventEmitter } from 'node:events';
import { classifyOsError, TransportError } from './transport.ts';

export interface HidDeviceInfo {
  /** Operating-system path (hidraw node on Linux); changes when the device re-enumerates. */
  path: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  /** HID usage page of this interface: 0x8C for HID POS scanners, 0x01 (usage 6) for keyboards. */
  usagePage?: number;
  usage?: number;
  interface?: number;
}

export interface HidReportSource {
  readonly description: string;
  on(event: 'report', listener: (report: Buffer) => void): this;
  on(event: 'close', listener: (err?: TransportError) => void): this;
  off(event: 'report', listener: (report: Buffer) => void): this;
  off(event: 'close', listener: (err?: TransportError) => void): this;
  close(): Promise<void>;
}

export interface HidBackend {
  /** Every HID interface present now. Rejects with `UNAVAILABLE` when the backend can't run. */
  devices(): Promise<HidDeviceInfo[]>;
  /** Opens one interface. Rejects with a TransportError (NOT_FOUND, PERMISSION, ...). */
  open(device: HidDeviceInfo): Promise<HidReportSource>;
}

/** Debian's package for the library node-hid loads at run time. */
export const HID_PACKAGE = 'libusb-1.0-0';

type NodeHid = typeof import('node-hid');
type HidAsync = Awaited<ReturnType<NodeHid['HIDAsync']['open']>>;

/**
 * The node-hid backend, or a TransportError `UNAVAILABLE` saying what to install. node-hid's
 * native module needs libusb-1.0 at load time; a machine without it keeps running without HID.
 */
export async function loadNodeHidBackend(): Promise<HidBackend> {
  let hid: NodeHid;
  try {
    hid = await import('node-hid');
    // Loading the binding happens on first use: list once so a missing library shows here.
    await hid.devicesAsync();
  } catch (err) {
    throw new TransportError(
      'UNAVAILABLE',
      `HID scanners are unavailable: ${(err as Error).message} (install the Debian package ${HID_PACKAGE}).`,
      { cause: err },
    );
  }
  return new NodeHidBackend(hid);
}

class NodeHidBackend implements HidBackend {
  constructor(private readonly hid: NodeHid) {}

  async devices(): Promise<HidDeviceInfo[]> {
    const list = await this.hid.devicesAsync();
    return list.flatMap((d) =>
      d.path
        ? [
            {
              path: d.path,
              vendorId: d.vendorId,
              productId: d.productId,
              ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
              ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
              ...(d.product ? { product: d.product } : {}),
              ...(d.usagePage !== undefined ? { usagePage: d.usagePage } : {}),
              ...(d.usage !== undefined ? { usage: d.usage } : {}),
              interface: d.interface,
            },
          ]
        : [],
    );
  }

  async open(device: HidDeviceInfo): Promise<HidReportSource> {
    const description = `hid:${device.path}`;
    let handle: HidAsync;
    try {
      handle = await this.hid.HIDAsync.open(device.path);
    } catch (err) {
      const code = classifyOsError(err);
      const message = (err as Error).message;
      const permission = code === 'PERMISSION' || /permission|access/i.test(message);
      throw new TransportError(
        permission ? 'PERMISSION' : code === 'IO' ? 'NOT_FOUND' : code,
        `Cannot open ${description}: ${message}${permission ? ' (install the udev rules so the terminal user can open /dev/hidraw*)' : ''}`,
        { cause: err },
      );
    }
    return new NodeHidSource(description, handle);
  }
}

class NodeHidSource extends EventEmitter implements HidReportSource {
  private closed = false;

  constructor(
    readonly description: string,
    private readonly handle: HidAsync,
  ) {
    super();
    handle.on('data', (report: Buffer) => {
      if (!this.closed) this.emit('report', report);
    });
    // node-hid reports a read failure (the device went away) as 'error' and stops reading.
    handle.on('error', (err: Error) => {
      if (this.closed) return;
      this.closed = true;
      void handle.close().catch(() => {});
      this.emit(
        'close',
        new TransportError('DISCONNECTED', `${description} went away: ${err.message}`, { cause: err }),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handle.removeAllListeners('data');
    await this.handle.close().catch(() => {});
    this.emit('close');
  }
}
