/**
 * The printer simulator behind the drivers' own Transport interface, with no socket in between: the
 * driver's bytes go straight to the simulator's decoder and its status answers come back as `data`
 * events, a turn of the event loop later, as from a real link. `unplug()` is pulling the cable.
 */
import { BaseTransport, TransportError } from '../../drivers/transport/transport.ts';

/** What the transport needs of the simulator. */
export interface SimulatorPort {
  /** The bytes to the printer; `reply` gets its status answers. */
  feed(chunk: Uint8Array, reply: (answer: Uint8Array) => void): void;
  /** Whether the printer is on (started and not stopped). */
  running(): boolean;
  /** A link was opened (for the simulator's connection count and `disconnectAll()`). */
  opened(link: SimulatedPrinterTransport): void;
}

export class SimulatedPrinterTransport extends BaseTransport {
  readonly description = 'sim:printer';

  constructor(private readonly port: SimulatorPort) {
    super();
  }

  /** The cable is pulled: writes fail, `close` is emitted with DISCONNECTED. */
  unplug(): void {
    this.lost(new TransportError('DISCONNECTED', `${this.description} was unplugged.`));
  }

  protected async doOpen(): Promise<void> {
    if (!this.port.running()) {
      throw new TransportError(
        'CONNECT_FAILED',
        `${this.description}: the printer simulator is not running.`,
      );
    }
    this.port.opened(this);
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const chunk = Uint8Array.from(data); // the caller may reuse its buffer
    return new Promise((resolve) => {
      setImmediate(() => {
        if (this.isOpen) {
          this.port.feed(chunk, (answer) => {
            if (this.isOpen) setImmediate(() => this.isOpen && this.received(Buffer.from(answer)));
          });
        }
        resolve();
      });
    });
  }

  protected async doClose(): Promise<void> {}
}
