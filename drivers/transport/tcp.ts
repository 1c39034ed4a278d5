/** A raw TCP connection: network printers listen on port 9100 ("JetDirect"/AppSocket). */
import net from 'node:net';
import { BaseTransport, classifyOsError, TransportError } from './transport.ts';

/** A printer on the LAN answers a SYN in milliseconds; past 3 s it is off or unplugged. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

export class TcpTransport extends BaseTransport {
  readonly description: string;
  private socket: net.Socket | null = null;

  constructor(private readonly options: { host: string; port: number; connectTimeoutMs?: number }) {
    super();
    this.description = `tcp://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  protected doOpen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => {
        fail(
          new TransportError(
            'TIMEOUT',
            `No connection to ${this.description} within ${this.timeoutMs} ms: is the printer on and on the network?`,
          ),
        );
      }, this.timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        reject(
          err instanceof TransportError
            ? err
            : new TransportError(
                classifyOsError(err),
                `Cannot connect to ${this.description}: ${(err as Error).message}`,
                { cause: err },
              ),
        );
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        socket.on('data', (chunk: Buffer) => this.received(chunk));
        socket.on('error', () => {}); // 'close' follows and reports it
        socket.on('close', (hadError) => {
          this.socket = null;
          this.lost(
            new TransportError(
              'DISCONNECTED',
              `${this.description} closed the connection${hadError ? ' after an error' : ''}.`,
            ),
          );
        });
        this.socket = socket;
        resolve();
      });
    });
  }

  private get timeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket)
      return Promise.reject(new TransportError('CLOSED', `Cannot write: ${this.description} is closed.`));
    return new Promise((resolve, reject) => {
      socket.write(data, (err) => {
        if (!err) return resolve();
        // Node destroys a socket on any write error, so the link is gone: pending writes get CLOSED
        // (the rule in transport.ts); the 'close' event that follows carries DISCONNECTED.
        reject(
          new TransportError('CLOSED', `Cannot write: ${this.description} closed (${err.message}).`, {
            cause: err,
          }),
        );
      });
    });
  }

  protected doClose(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.removeAllListeners('close');
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }
}
