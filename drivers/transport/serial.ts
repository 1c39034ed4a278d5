/**
 * A serial port (RS-232 printers and scanners, USB-serial bridges) through `serialport`. Address it
 * by /dev/serial/by-id/... so it survives re-enumeration (ttyUSB0 becomes ttyUSB1 after a replug).
 */
import { BaseTransport, classifyOsError, TransportError } from './transport.ts';

type SerialPortModule = typeof import('serialport');
type Port = InstanceType<SerialPortModule['SerialPort']>;

export class SerialTransport extends BaseTransport {
  readonly description: string;
  private port: Port | null = null;

  constructor(private readonly options: { path: string; baudRate: number }) {
    super();
    this.description = `serial:${options.path}?baud=${options.baudRate}`;
  }

  protected async doOpen(): Promise<void> {
    let SerialPort: SerialPortModule['SerialPort'];
    try {
      ({ SerialPort } = await import('serialport'));
    } catch (err) {
      throw new TransportError(
        'UNAVAILABLE',
        `Serial ports are unavailable here: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baudRate,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => {
        if (!err) return resolve();
        const code =
          classifyOsError(err) === 'IO' && /cannot open|no such/i.test(err.message)
            ? 'NOT_FOUND'
            : classifyOsError(err);
        reject(
          new TransportError(
            code,
            `Cannot open ${this.description}: ${err.message}${code === 'PERMISSION' ? ' (add the user to the dialout group, or install the udev rules)' : ''}`,
            { cause: err },
          ),
        );
      }),
    );
    port.on('data', (chunk: Buffer) => this.received(chunk));
    port.on('error', () => {});
    port.on('close', (err?: Error) => {
      this.port = null;
      this.lost(err ?? new TransportError('DISCONNECTED', `${this.description} was closed.`));
    });
    this.port = port;
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port)
      return Promise.reject(new TransportError('CLOSED', `Cannot write: ${this.description} is closed.`));
    // serialport closes the port on any write error (a disconnect) and cancels pending writes when it
    // closes, so a failed write means the link is gone: it rejects with CLOSED (the rule in
    // transport.ts); the 'close' event carries DISCONNECTED.
    const closed = (err: Error) =>
      new TransportError('CLOSED', `Cannot write: ${this.description} closed (${err.message}).`, {
        cause: err,
      });
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(data), (err) => {
        if (err) return reject(closed(err));
        port.drain((e) => (e ? reject(closed(e)) : resolve()));
      });
    });
  }

  protected doClose(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port) return Promise.resolve();
    return new Promise((resolve) => {
      port.removeAllListeners('close');
      port.close(() => resolve());
    });
  }
}
