/**
 * A byte pipe to a device: TCP (a network printer's raw port), a serial port, a USB printer's bulk
 * endpoints, a Linux usblp node. Codecs and drivers sit on top; simulators implement the same
 * interface.
 *
 * Rules of every Transport:
 * - `open()` resolves when bytes can be written. It rejects with a {@link TransportError} and leaves
 *   nothing half-open (listeners removed, handle closed). Opening an open transport is a no-op.
 * - `write(data)` resolves when the bytes have been handed to the operating system (not when the
 *   device has printed them). Writes are delivered in call order; overlapping calls queue. A write
 *   on a closed transport rejects with code `CLOSED`.
 * - `data` events carry bytes from the device (status answers), in order, in arbitrary chunks.
 * - `close` is emitted exactly once per successful open, when the link ends: by `close()` (no error)
 *   or by the device going away (with the error: `DISCONNECTED`). Writes pending at that moment
 *   reject with `CLOSED`. After it the transport may be opened again (reconnect).
 * - `close()` is idempotent and resolves when the handle is released.
 */
import { EventEmitter } from 'node:events';

export type TransportErrorCode =
  /** The device or host refused or did not answer the connection. */
  | 'CONNECT_FAILED'
  /** No such device/host/path. */
  | 'NOT_FOUND'
  /** The operating system refused access (permissions, udev rules, dialout group). */
  | 'PERMISSION'
  /** The connection was not made in time. */
  | 'TIMEOUT'
  /** The link went away while open (unplug, network drop, remote close). */
  | 'DISCONNECTED'
  /** The transport is closed. */
  | 'CLOSED'
  /** This kind of transport can't run here (a native library is missing). */
  | 'UNAVAILABLE'
  | 'IO';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface Transport {
  /** What it connects to, for messages: "tcp://192.168.1.50:9100". */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: (err?: TransportError) => void): this;
  off(event: 'data', listener: (chunk: Buffer) => void): this;
  off(event: 'close', listener: (err?: TransportError) => void): this;
}

/** Maps an operating-system error to a transport error code. */
export function classifyOsError(err: unknown): TransportErrorCode {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'].includes(code)) return 'CONNECT_FAILED';
  if (['ENOENT', 'ENOTFOUND', 'EAI_AGAIN', 'ENODEV', 'ENXIO'].includes(code)) return 'NOT_FOUND';
  if (['EACCES', 'EPERM'].includes(code)) return 'PERMISSION';
  if (['ETIMEDOUT'].includes(code)) return 'TIMEOUT';
  if (['ECONNRESET', 'EPIPE', 'EIO', 'ESHUTDOWN'].includes(code)) return 'DISCONNECTED';
  return 'IO';
}

/**
 * The bookkeeping every transport shares: the open flag, the one `close` event per open, and
 * writes that reject once the link is gone. Subclasses implement the `do*` methods.
 */
export abstract class BaseTransport extends EventEmitter implements Transport {
  abstract readonly description: string;
  private opened = false;
  private opening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  get isOpen(): boolean {
    return this.opened;
  }

  protected abstract doOpen(): Promise<void>;
  protected abstract doWrite(data: Uint8Array): Promise<void>;
  protected abstract doClose(): Promise<void>;

  async open(): Promise<void> {
    if (this.opened && !this.closing) return;
    // A second open() while one is connecting joins it: two doOpen() calls would leak a handle.
    // An open() during a close() waits for the close, then opens.
    this.opening ??= (async () => {
      try {
        if (this.closing) await this.closing;
        await this.doOpen();
        this.opened = true;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.opened) throw new TransportError('CLOSED', `Cannot write: ${this.description} is not open.`);
    try {
      await this.doWrite(data);
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new TransportError(
        classifyOsError(err),
        `Writing to ${this.description} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    // A close() during a close() waits for the same release (calling doClose() twice would not).
    if (this.closing) return this.closing;
    if (!this.opened) return;
    this.closing = this.doClose().finally(() => this.ended());
    return this.closing;
  }

  /** Data from the device. */
  protected received(chunk: Buffer): void {
    this.emit('data', chunk);
  }

  /** The link ended by itself (unplug, remote close). */
  protected lost(err: unknown): void {
    if (!this.opened) return;
    const error =
      err instanceof TransportError
        ? err
        : new TransportError(
            'DISCONNECTED',
            `${this.description} went away: ${(err as Error)?.message ?? 'closed'}`,
            { cause: err },
          );
    this.ended(error);
  }

  private ended(err?: TransportError): void {
    if (!this.opened) return;
    this.opened = false;
    this.closing = null;
    this.emit('close', err);
  }
}
