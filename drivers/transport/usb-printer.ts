/**
 * A USB printer-class device (interface class 7) through `usb` (WebUSB in Node): bulk OUT for print
 * data, bulk IN for status answers. There is no USB device on a test machine, so the transport works
 * over the {@link UsbLink} seam: tests drive it with specified bytes, production uses WebUSB.
 */
import { BaseTransport, TransportError } from './transport.ts';

export interface UsbAddress {
  vendorId: number;
  productId: number;
  serialNumber?: string;
}

/** An open printer interface: what the transport needs of a USB device. */
export interface UsbPrinterHandle {
  /** Bulk OUT. Rejects when the device is gone. */
  out(data: Uint8Array): Promise<void>;
  /** Bulk IN: resolves with what the device sent (possibly nothing); rejects when it is gone. */
  in(maxLength: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface UsbLink {
  /** Opens the matching printer interface; rejects with TransportError (NOT_FOUND, PERMISSION, UNAVAILABLE). */
  open(address: UsbAddress): Promise<UsbPrinterHandle>;
}

/** Status answers are single bytes; a full-speed bulk packet is 64. */
const IN_PACKET = 64;
/** Printers answer bulk IN with zero-length packets when idle: poll, don't spin. */
const IDLE_POLL_MS = 10;

export const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export class UsbPrinterTransport extends BaseTransport {
  readonly description: string;
  private handle: UsbPrinterHandle | null = null;

  constructor(
    private readonly address: UsbAddress,
    private readonly link: UsbLink = webUsbLink,
  ) {
    super();
    this.description = `usb:${hex4(address.vendorId)}:${hex4(address.productId)}${address.serialNumber ? `:${address.serialNumber}` : ''}`;
  }

  protected async doOpen(): Promise<void> {
    const handle = await this.link.open(this.address);
    this.handle = handle;
    void this.readLoop(handle);
  }

  private async readLoop(handle: UsbPrinterHandle): Promise<void> {
    while (this.handle === handle) {
      try {
        const data = await handle.in(IN_PACKET);
        if (this.handle !== handle) return;
        if (data.length > 0) this.received(Buffer.from(data));
        else await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
      } catch (err) {
        if (this.handle !== handle) return;
        this.handle = null;
        await handle.close().catch(() => {});
        this.lost(err);
        return;
      }
    }
  }

  protected async doWrite(data: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new TransportError('CLOSED', `Cannot write: ${this.description} is closed.`);
    try {
      await handle.out(data);
    } catch (err) {
      if (this.handle === handle) {
        this.handle = null;
        await handle.close().catch(() => {});
        this.lost(err);
      }
      // The link is gone (unplugged, or closed under this write): the write rejects with CLOSED, the
      // 'close' event carries DISCONNECTED (the rule in transport.ts).
      throw new TransportError(
        'CLOSED',
        `Cannot write: ${this.description} closed while printing (${(err as Error).message}).`,
        { cause: err },
      );
    }
  }

  protected async doClose(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => {});
  }
}

interface WebUsbDevice {
  vendorId: number;
  productId: number;
  serialNumber?: string;
  configuration: {
    interfaces: {
      interfaceNumber: number;
      alternate: {
        interfaceClass: number;
        endpoints: { endpointNumber: number; direction: 'in' | 'out'; type: string }[];
      };
    }[];
  } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(n: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  transferOut(endpoint: number, data: Uint8Array, timeoutMs?: number): Promise<{ status: string }>;
  transferIn(
    endpoint: number,
    length: number,
    timeoutMs?: number,
  ): Promise<{ status: string; data?: DataView }>;
}

/**
 * `usb` gives every transfer a 1 s timeout unless told otherwise. A printer busy feeding or cutting
 * may hold off bulk OUT for longer; bulk IN times out whenever the printer has nothing to say.
 */
const OUT_TIMEOUT_MS = 30_000;
const IN_TIMEOUT_MS = 1_000;
const TIMED_OUT = /time(d)?[\s_-]?out/i;

/** The real link: WebUSB from the `usb` package (no libusb to install: it ships its own binary). */
export const webUsbLink: UsbLink = {
  async open(address) {
    let devices: WebUsbDevice[];
    try {
      const { usb } = await import('usb');
      devices = (await usb.getDevices()) as unknown as WebUsbDevice[];
    } catch (err) {
      throw new TransportError('UNAVAILABLE', `USB is unavailable here: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const name = `usb:${hex4(address.vendorId)}:${hex4(address.productId)}`;
    const device = devices.find(
      (d) =>
        d.vendorId === address.vendorId &&
        d.productId === address.productId &&
        (!address.serialNumber || d.serialNumber === address.serialNumber),
    );
    if (!device)
      throw new TransportError(
        'NOT_FOUND',
        `No USB printer ${name}${address.serialNumber ? ` with serial ${address.serialNumber}` : ''} is connected.`,
      );
    try {
      await device.open();
      if (!device.configuration) await device.selectConfiguration(1);
      const iface = device.configuration?.interfaces.find((i) => i.alternate.interfaceClass === 7);
      if (!iface) throw new TransportError('NOT_FOUND', `${name} has no printer interface (class 7).`);
      await device.claimInterface(iface.interfaceNumber);
      const bulkOut = iface.alternate.endpoints.find((e) => e.direction === 'out' && e.type === 'bulk');
      const bulkIn = iface.alternate.endpoints.find((e) => e.direction === 'in' && e.type === 'bulk');
      if (!bulkOut) throw new TransportError('NOT_FOUND', `${name} has no bulk OUT endpoint.`);
      return {
        async out(data) {
          const r = await device.transferOut(bulkOut.endpointNumber, data, OUT_TIMEOUT_MS);
          if (r.status !== 'ok') throw new Error(`bulk OUT ${r.status}`);
        },
        async in(maxLength) {
          if (!bulkIn) return new Promise<Uint8Array>(() => {}); // unidirectional printer: never answers
          let r: { status: string; data?: DataView };
          try {
            r = await device.transferIn(bulkIn.endpointNumber, maxLength, IN_TIMEOUT_MS);
          } catch (err) {
            // An idle printer has nothing to say: a timed-out read is silence, not an unplug.
            if (TIMED_OUT.test((err as Error).message)) return new Uint8Array();
            throw err;
          }
          if (r.status !== 'ok') throw new Error(`bulk IN ${r.status}`);
          return r.data
            ? new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)
            : new Uint8Array();
        },
        async close() {
          await device.releaseInterface(iface.interfaceNumber).catch(() => {});
          await device.close().catch(() => {});
        },
      };
    } catch (err) {
      await device.close().catch(() => {});
      if (err instanceof TransportError) throw err;
      const denied = /access|permission/i.test((err as Error).message);
      throw new TransportError(
        denied ? 'PERMISSION' : 'CONNECT_FAILED',
        `Cannot open ${name}: ${(err as Error).message}${denied ? ' (install the udev rules so this user may open the printer)' : ''}`,
        { cause: err },
      );
    }
  },
};
