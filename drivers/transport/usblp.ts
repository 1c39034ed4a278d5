/**
 * Linux's USB printer class driver: /dev/usb/lp0. Writes go to the printer; reads return what it
 * sends back (status), which is why status works here and not behind CUPS.
 *
 * The node is opened non-blocking and polled: a blocking read would hold one of libuv's few
 * threadpool threads until the printer speaks, and could keep `close()` waiting for ever.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { BaseTransport, classifyOsError, TransportError } from './transport.ts';

/** A status answer is a few bytes; a read loop with a small buffer is enough. */
const READ_CHUNK = 64;
/** How often an idle node is polled for bytes, and how long a full device buffer is waited out. */
const POLL_MS = 5;

const wouldBlock = (err: unknown) =>
  ['EAGAIN', 'EWOULDBLOCK'].includes((err as NodeJS.ErrnoException)?.code ?? '');
const pause = () => new Promise((r) => setTimeout(r, POLL_MS));

export class UsblpTransport extends BaseTransport {
  readonly description: string;
  private handle: fs.FileHandle | null = null;
  private reading = false;
  /** The write in progress: the next one starts after it, so partial writes never interleave. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: { path: string }) {
    super();
    this.description = `lp:${options.path}`;
  }

  protected async doOpen(): Promise<void> {
    try {
      this.handle = await fs.open(
        this.options.path,
        fsConstants.O_RDWR | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY,
      );
    } catch (err) {
      const code = classifyOsError(err);
      throw new TransportError(
        code,
        `Cannot open ${this.description}: ${(err as Error).message}${code === 'PERMISSION' ? ' (install the udev rules, or add the user to the lp group)' : ''}`,
        { cause: err },
      );
    }
    this.reading = true;
    void this.readLoop(this.handle);
  }

  private async readLoop(handle: fs.FileHandle): Promise<void> {
    const buf = Buffer.alloc(READ_CHUNK);
    while (this.reading && this.handle === handle) {
      try {
        const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, null);
        if (bytesRead > 0) this.received(Buffer.from(buf.subarray(0, bytesRead)));
        else await pause();
      } catch (err) {
        if (wouldBlock(err)) {
          await pause();
          continue;
        }
        if (this.reading && this.handle === handle) {
          this.handle = null;
          this.reading = false;
          await handle.close().catch(() => {});
          this.lost(err);
        }
        return;
      }
    }
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    // A large write goes out in pieces with EAGAIN pauses between them; a second write started in a
    // pause would splice its bytes into the middle of the first job.
    const write = this.writing.then(() => this.writeAll(data));
    this.writing = write.catch(() => {});
    return write;
  }

  private async writeAll(data: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new TransportError('CLOSED', `Cannot write: ${this.description} is closed.`);
    let offset = 0;
    while (offset < data.length) {
      if (this.handle !== handle)
        throw new TransportError('CLOSED', `Cannot write: ${this.description} was closed.`);
      try {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
        offset += bytesWritten;
      } catch (err) {
        if (wouldBlock(err)) {
          await pause(); // the printer's buffer is full: it is busy printing
          continue;
        }
        // EIO/ENODEV: the device is gone (a hung-up tty reads as end-of-file, so only the write can
        // tell). End the link as the read loop does; this and queued writes reject with CLOSED.
        if (this.handle === handle) {
          this.handle = null;
          this.reading = false;
          await handle.close().catch(() => {});
          this.lost(err);
        }
        throw new TransportError(
          'CLOSED',
          `Cannot write: ${this.description} went away (${(err as Error).message}).`,
          { cause: err },
        );
      }
    }
  }

  protected async doClose(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.reading = false;
    await handle?.close().catch(() => {});
  }
}
