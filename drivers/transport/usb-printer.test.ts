/**
 * UsbPrinterTransport without a USB device (this machine has none): through the `UsbLink` seam with a
 * fake printer that enforces the handle's rules, and `webUsbLink` over a mocked `usb` module whose
 * fake devices answer the way WebUSB does.
 */
import { afterEach, test as base, describe, expect, vi } from 'vitest';
import { recordEvents as record } from './testing.ts';
import { TransportError } from './transport.ts';
import {
  type UsbAddress,
  type UsbLink,
  type UsbPrinterHandle,
  UsbPrinterTransport,
  webUsbLink,
} from './usb-printer.ts';

const WAIT_MS = 5_000;
const poll = { timeout: WAIT_MS, interval: 2 };

/** An Epson TM-T20-like printer. */
const PRINTER: UsbAddress = { vendorId: 0x04b8, productId: 0x0e28, serialNumber: 'X5KJ012345' };

/** What the host controller reports once the device is gone (nusb's wording in the `usb` package). */
const gone = () => new Error('transfer error: Disconnected');
const cancelled = () => new Error('transfer error: Cancelled');

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A USB printer on a fake bus. It hands out handles that enforce the rules a real one imposes: no
 * transfer on a closed handle, one bulk IN at a time, close once. Breaches are recorded in
 * `violations` (the fixture fails the test on any) as well as rejected.
 */
class FakeUsbPrinter implements UsbLink {
  plugged = true;
  /** Bytes received on bulk OUT, in order. */
  printed: number[] = [];
  /** Handles opened and not yet closed. */
  openHandles = 0;
  /** When set, bulk OUT transfers wait (a busy printer NAKs) until `releaseOut()` or an unplug. */
  holdOut = false;
  readonly violations: string[] = [];
  /** Answers waiting for a bulk IN; an empty one is a zero-length packet. */
  private answers: Uint8Array[] = [];
  private pendingIn: { max: number; wait: Deferred<Uint8Array> } | null = null;
  private pendingOut: { data: Uint8Array; wait: Deferred<void> }[] = [];
  private closeGate: Promise<void> | null = null;
  closeCalls = 0;

  constructor(readonly address: UsbAddress = PRINTER) {}

  async open(address: UsbAddress): Promise<UsbPrinterHandle> {
    const matches =
      address.vendorId === this.address.vendorId &&
      address.productId === this.address.productId &&
      (!address.serialNumber || address.serialNumber === this.address.serialNumber);
    if (!this.plugged || !matches)
      throw new TransportError('NOT_FOUND', 'No USB printer usb:04b8:0e28 is connected.');
    this.openHandles++;
    let closed = false;
    const check = (what: string): void => {
      if (closed) {
        this.violations.push(`${what} on a closed handle`);
        throw new Error(`${what} on a closed handle`);
      }
      if (!this.plugged) throw gone();
    };
    return {
      out: async (data) => {
        check('bulk OUT');
        const copy = Uint8Array.from(data); // the caller may reuse its buffer once out() resolves
        if (!this.holdOut) {
          this.printed.push(...copy);
          return;
        }
        const wait = deferred<void>();
        this.pendingOut.push({ data: copy, wait });
        return wait.promise;
      },
      in: async (max) => {
        check('bulk IN');
        if (this.pendingIn) {
          this.violations.push('overlapping bulk IN');
          throw new Error('overlapping bulk IN');
        }
        const wait = deferred<Uint8Array>();
        this.pendingIn = { max, wait };
        this.deliver();
        return wait.promise;
      },
      close: async () => {
        this.closeCalls++;
        if (closed) {
          this.violations.push('handle closed twice');
          return;
        }
        closed = true;
        this.openHandles--;
        // Closing cancels the transfers in flight, as releasing the interface does.
        this.pendingIn?.wait.reject(cancelled());
        this.pendingIn = null;
        for (const { wait } of this.pendingOut.splice(0)) wait.reject(cancelled());
        await this.closeGate;
      },
    };
  }

  /** The printer sends bytes (a status answer) on bulk IN. */
  answer(bytes: Iterable<number>): void {
    this.answers.push(Uint8Array.from(bytes));
    this.deliver();
  }

  /** The printer has nothing to say: a zero-length packet. */
  zeroLengthPacket(): void {
    this.answers.push(new Uint8Array());
    this.deliver();
  }

  /** The printer took the held bulk OUT transfers. */
  releaseOut(): void {
    this.holdOut = false;
    for (const { data, wait } of this.pendingOut.splice(0)) {
      this.printed.push(...data);
      wait.resolve();
    }
  }

  /** The cable is pulled: every transfer in flight fails, later ones too. */
  unplug(): void {
    this.plugged = false;
    this.pendingIn?.wait.reject(gone());
    this.pendingIn = null;
    for (const { wait } of this.pendingOut.splice(0)) wait.reject(gone());
  }

  replug(): void {
    this.plugged = true;
  }

  /** Makes handle.close() wait until the returned function is called. */
  holdClose(): () => void {
    const gate = deferred<void>();
    this.closeGate = gate.promise;
    return () => gate.resolve();
  }

  private deliver(): void {
    const pending = this.pendingIn;
    const next = this.answers[0];
    if (!pending || !next) return;
    this.pendingIn = null;
    if (next.length > pending.max) {
      this.answers[0] = next.subarray(pending.max);
      pending.wait.resolve(next.subarray(0, pending.max));
    } else {
      this.answers.shift();
      pending.wait.resolve(next);
    }
  }
}

/** Lets every promise callback that is already due run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const test = base.extend<{ printer: FakeUsbPrinter; transport: UsbPrinterTransport }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  printer: async ({}, use) => {
    const printer = new FakeUsbPrinter();
    await use(printer);
    expect(printer.violations).toEqual([]);
  },
  transport: async ({ printer }, use) => {
    const transport = new UsbPrinterTransport(PRINTER, printer);
    await use(transport);
    await transport.close();
    expect(printer.openHandles).toBe(0);
  },
});

describe('UsbPrinterTransport over a fake UsbLink', () => {
  test('bulk OUT carries the written bytes, whole and in call order', async ({ printer, transport }) => {
    expect(transport.description).toBe('usb:04b8:0e28:X5KJ012345');
    await transport.open();
    expect(transport.isOpen).toBe(true);
    const reused = new Uint8Array([0x1b, 0x40]);
    const parts = [
      reused,
      Buffer.from('Total 12.50\n'),
      Buffer.alloc(10_000, 0x2d),
      Buffer.from([0x1d, 0x56, 0x00]),
    ];
    const expected = Buffer.concat(parts);
    await Promise.all(parts.map((part) => transport.write(part)));
    reused.fill(0);
    expect(Buffer.from(printer.printed).equals(expected)).toBe(true);
  });

  test('bulk IN answers become data events, in order; zero-length packets make none', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    const long = Array.from({ length: 150 }, (_, i) => i); // more than one 64-byte packet
    printer.zeroLengthPacket();
    printer.answer([0x12]);
    printer.zeroLengthPacket();
    printer.zeroLengthPacket();
    printer.answer(long);
    printer.answer([0x16, 0x72]);
    const expected = Buffer.from([0x12, ...long, 0x16, 0x72]);
    await expect.poll(() => Buffer.concat(seen.data).length, poll).toBe(expected.length);
    expect(Buffer.concat(seen.data).equals(expected)).toBe(true);
    expect(seen.data.every((chunk) => chunk.length > 0)).toBe(true);
  });

  test('a printer that is not connected: NOT_FOUND, and nothing is left open', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    printer.unplug();
    const open = transport.open();
    await expect(open).rejects.toBeInstanceOf(TransportError);
    await expect(open).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(transport.isOpen).toBe(false);
    expect(printer.openHandles).toBe(0);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    await transport.close();
    expect(seen.closes).toEqual([]);
  });

  test('unplug while idle: one close event with DISCONNECTED, and the handle is released', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    printer.unplug();
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]).toBeInstanceOf(TransportError);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
    expect(seen.closes[0]?.message).toContain(transport.description);
    expect(transport.isOpen).toBe(false);
    expect(printer.openHandles).toBe(0);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
    await transport.close();
    expect(seen.closes).toHaveLength(1);
  });

  test('unplug during a write: the write rejects with CLOSED, one close event with DISCONNECTED', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    printer.holdOut = true;
    const writes = Promise.allSettled([
      transport.write(Buffer.alloc(4096, 0x41)),
      transport.write(Buffer.from('tail')),
    ]);
    await settle();
    printer.unplug();
    for (const result of await writes) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(TransportError);
        expect(result.reason.code).toBe('CLOSED');
      }
    }
    await expect.poll(() => seen.closes.length, poll).toBe(1);
    expect(seen.closes[0]?.code).toBe('DISCONNECTED');
    expect(printer.openHandles).toBe(0);
  });

  test('replugged: open() again works', async ({ printer, transport }) => {
    const seen = record(transport);
    await transport.open();
    printer.unplug();
    await expect.poll(() => seen.closes.length, poll).toBe(1);

    await expect(transport.open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    printer.replug();
    await transport.open();
    await transport.write(Buffer.from('again'));
    expect(Buffer.from(printer.printed).toString()).toBe('again');
    printer.answer([0x12]);
    await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('12');
    expect(printer.openHandles).toBe(1);
  });

  test('close(): releases the handle once, one close event without an error', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    await transport.close();
    await transport.close();
    expect(transport.isOpen).toBe(false);
    expect(seen.closes).toEqual([undefined]);
    expect(printer.openHandles).toBe(0);
    expect(printer.closeCalls).toBe(1);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('close() during a close() resolves only when the handle is released', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    const release = printer.holdClose();
    const first = transport.close();
    let secondDone = false;
    const second = transport.close().then(() => {
      secondDone = true;
    });
    await expect.poll(() => printer.closeCalls, poll).toBe(1);
    await settle();
    expect(secondDone).toBe(false);
    expect(seen.closes).toEqual([]);
    await expect(transport.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'CLOSED' });

    release();
    await Promise.all([first, second]);
    expect(seen.closes).toEqual([undefined]);
    expect(printer.closeCalls).toBe(1);
    expect(printer.openHandles).toBe(0);
  });

  test('a write pending at close() rejects with CLOSED, and close() emits no error', async ({
    printer,
    transport,
  }) => {
    const seen = record(transport);
    await transport.open();
    printer.holdOut = true;
    const write = transport.write(Buffer.alloc(4096, 0x41));
    const settled = write.catch((err: unknown) => err);
    await settle();
    await transport.close();
    const err = await settled;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CLOSED');
    expect(seen.closes).toEqual([undefined]);
  });
});

/** A device as the `usb` package's WebUSB API shows it, with a printer interface by default. */
class FakeWebUsbDevice {
  opened = false;
  readonly claimed = new Set<number>();
  readonly printed: number[] = [];
  gone = false;
  private readonly answers: (Uint8Array | Error)[] = [];
  private readonly waitingIn: ((data: Uint8Array | Error) => void)[] = [];
  private active: FakeWebUsbDevice['descriptor'] | null;

  constructor(
    readonly vendorId: number,
    readonly productId: number,
    readonly serialNumber: string | undefined,
    private readonly descriptor: {
      interfaces: {
        interfaceNumber: number;
        alternate: {
          interfaceClass: number;
          endpoints: { endpointNumber: number; direction: 'in' | 'out'; type: string }[];
        };
      }[];
    } = {
      interfaces: [
        {
          interfaceNumber: 0,
          alternate: {
            interfaceClass: 7,
            endpoints: [
              { endpointNumber: 1, direction: 'out', type: 'bulk' },
              { endpointNumber: 2, direction: 'in', type: 'bulk' },
            ],
          },
        },
      ],
    },
    private readonly openError?: Error,
    configured = true,
  ) {
    this.active = configured ? descriptor : null;
  }

  get configuration() {
    return this.active;
  }

  async open(): Promise<void> {
    if (this.openError) throw this.openError;
    this.opened = true;
  }
  async close(): Promise<void> {
    this.opened = false;
    this.claimed.clear();
    for (const wake of this.waitingIn.splice(0)) wake(cancelled());
  }
  async selectConfiguration(_n: number): Promise<void> {
    this.active = this.descriptor;
  }
  async claimInterface(n: number): Promise<void> {
    if (!this.opened) throw new Error('claimInterface error: invalid state');
    this.claimed.add(n);
  }
  async releaseInterface(n: number): Promise<void> {
    this.claimed.delete(n);
  }
  async transferOut(endpoint: number, data: Uint8Array): Promise<{ status: string }> {
    if (this.gone) throw gone();
    if (!this.claimed.has(0) || endpoint !== 1) throw new Error('transferOut error: endpoint not found');
    this.printed.push(...data);
    return { status: 'ok' };
  }
  async transferIn(endpoint: number, length: number): Promise<{ status: string; data?: DataView }> {
    if (this.gone) throw gone();
    if (!this.claimed.has(0) || endpoint !== 2) throw new Error('transferIn error: endpoint not found');
    const next =
      this.answers.shift() ?? (await new Promise<Uint8Array | Error>((wake) => this.waitingIn.push(wake)));
    if (next instanceof Error) throw next;
    const bytes = next.subarray(0, length);
    // Answers arrive in a larger buffer, as the real binding's do: the offset must be honoured.
    const buffer = new Uint8Array(bytes.length + 8);
    buffer.set(bytes, 4);
    return { status: 'ok', data: new DataView(buffer.buffer, 4, bytes.length) };
  }

  answer(bytes: Iterable<number>): void {
    const data = Uint8Array.from(bytes);
    const wake = this.waitingIn.shift();
    if (wake) wake(data);
    else this.answers.push(data);
  }
  /** The read's own timeout ran out (libusb's 1 s default): the printer had nothing to say. */
  idle(): void {
    const timedOut = new Error('Transfer timed out');
    const wake = this.waitingIn.shift();
    if (wake) wake(timedOut);
    else this.answers.push(timedOut);
  }
  unplug(): void {
    this.gone = true;
    for (const wake of this.waitingIn.splice(0)) wake(gone());
  }
}

/** Mocks the `usb` package for the next import: its getDevices() lists `devices`, or fails. */
function mockUsbBus(devices: FakeWebUsbDevice[] | Error): void {
  vi.doMock('usb', () => ({
    usb: {
      getDevices: async () => {
        if (devices instanceof Error) throw devices;
        return devices;
      },
    },
  }));
}

/** An error's message and the messages of its causes. */
function messages(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out;
}

describe('webUsbLink (the usb package mocked)', () => {
  afterEach(() => {
    vi.doUnmock('usb');
  });

  test('the native module cannot load: UNAVAILABLE, with the reason', async () => {
    vi.doMock('usb', () => {
      throw new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory');
    });
    const err = await webUsbLink.open(PRINTER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('UNAVAILABLE');
    expect((err as TransportError).message).toMatch(/^USB is unavailable here: /);
    expect(messages(err).join('\n')).toContain('libusb-1.0.so.0: cannot open shared object file');
  });

  test('the bus cannot be listed (no usbfs in a container): UNAVAILABLE, with the reason', async () => {
    mockUsbBus(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'));
    const transport = new UsbPrinterTransport(PRINTER);
    const open = transport.open();
    await expect(open).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(open).rejects.toThrow(
      'USB is unavailable here: getDevices error: /sys/bus/usb/devices/ not found',
    );
    expect(transport.isOpen).toBe(false);
  });

  test.for([
    ['no device at all', []],
    ['another vendor/product', [new FakeWebUsbDevice(0x0416, 0x5011, 'X5KJ012345')]],
    ['the same model with another serial number', [new FakeWebUsbDevice(0x04b8, 0x0e28, 'OTHER0001')]],
  ] as const)('%s: NOT_FOUND naming the address', async ([, devices]) => {
    mockUsbBus([...devices]);
    const err = await webUsbLink.open(PRINTER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('NOT_FOUND');
    expect((err as TransportError).message).toBe(
      'No USB printer usb:04b8:0e28 with serial X5KJ012345 is connected.',
    );
    for (const device of devices) expect(device.opened).toBe(false);
  });

  test('without a serial number, the first matching printer is taken', async () => {
    const device = new FakeWebUsbDevice(0x04b8, 0x0e28, 'ANY');
    mockUsbBus([new FakeWebUsbDevice(0x0416, 0x5011, undefined), device]);
    const handle = await webUsbLink.open({ vendorId: 0x04b8, productId: 0x0e28 });
    expect(device.claimed.has(0)).toBe(true);
    await handle.close();
    expect(device.opened).toBe(false);
  });

  test('a device without a printer interface: NOT_FOUND, and the device is closed again', async () => {
    const hid = new FakeWebUsbDevice(0x04b8, 0x0e28, 'X5KJ012345', {
      interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: 3, endpoints: [] } }],
    });
    mockUsbBus([hid]);
    const err = await webUsbLink.open(PRINTER).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('NOT_FOUND');
    expect((err as TransportError).message).toContain('no printer interface (class 7)');
    expect(hid.opened).toBe(false);
  });

  test('access denied: PERMISSION with the udev hint', async () => {
    const denied = new FakeWebUsbDevice(
      0x04b8,
      0x0e28,
      'X5KJ012345',
      undefined,
      new Error('open error: Permission denied (os error 13)'),
    );
    mockUsbBus([denied]);
    const err = await webUsbLink.open(PRINTER).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('PERMISSION');
    expect((err as TransportError).message).toContain('udev rules');
    expect(denied.opened).toBe(false);
  });

  test('a transport through WebUSB: bytes out on bulk OUT, answers in as data, unplug ends it', async () => {
    // Not configured yet: the link selects configuration 1 first.
    const device = new FakeWebUsbDevice(0x04b8, 0x0e28, 'X5KJ012345', undefined, undefined, false);
    mockUsbBus([device]);
    const transport = new UsbPrinterTransport(PRINTER);
    const seen = record(transport);
    try {
      await transport.open();
      await transport.write(Buffer.from([0x10, 0x04, 0x01]));
      expect(device.printed).toEqual([0x10, 0x04, 0x01]);
      device.answer([0x12, 0x16]);
      await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('1216');

      // A read that times out on an idle printer is silence, not an unplug.
      for (let i = 0; i < 3; i++) device.idle();
      device.answer([0x12]);
      await expect.poll(() => Buffer.concat(seen.data).toString('hex'), poll).toBe('121612');
      expect(seen.closes).toEqual([]);
      expect(transport.isOpen).toBe(true);

      device.unplug();
      await expect.poll(() => seen.closes.length, poll).toBe(1);
      expect(seen.closes[0]?.code).toBe('DISCONNECTED');
      expect(device.opened).toBe(false);
    } finally {
      await transport.close();
    }
  });
});
