/**
 * The WebSocket clients of `/api/events` (the kiosk window, a browser tab, a test) and the events
 * sent to all of them. Host to renderer only: what a client sends is ignored.
 *
 * A client that stops reading (a frozen renderer) must not make the host buffer without bound: past
 * {@link MAX_BUFFERED_BYTES} queued, it is cut off, and it reconnects to a fresh `hello`.
 */
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { HostEvent } from './api-schema.ts';

/** Far above a burst of status and scan events (a few KiB each); a renderer this far behind is stuck. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** RFC 6455 §7.4.1: the endpoint is going away (the host is stopping). */
const CLOSE_GOING_AWAY = 1001;

export class EventHub {
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.sockets.size;
  }

  /** Takes a client on: sends it `hello` first, and forgets it when it closes. */
  add(socket: WebSocket, hello: HostEvent): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err: Error) => {
      this.log.debug({ err: err.message }, 'event socket error');
      this.sockets.delete(socket);
    });
    this.send(socket, JSON.stringify(hello));
  }

  broadcast(event: HostEvent): void {
    if (this.sockets.size === 0) return;
    const text = JSON.stringify(event);
    for (const socket of this.sockets) this.send(socket, text);
  }

  /** Closes every client (the host is stopping). */
  closeAll(): void {
    for (const socket of this.sockets) socket.close(CLOSE_GOING_AWAY, 'host stopping');
    this.sockets.clear();
  }

  private send(socket: WebSocket, text: string): void {
    if (socket.readyState !== 1 /* OPEN */) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn({ buffered: socket.bufferedAmount }, 'event client not reading; disconnected');
      this.sockets.delete(socket);
      socket.terminate();
      return;
    }
    socket.send(text);
  }
}
