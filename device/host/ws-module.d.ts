/**
 * Types for the part of `ws` (the WebSocket library under @fastify/websocket) that the host and its
 * tests use. `@types/ws` is not among the dependencies; without these, strict mode refuses
 * `import WebSocket from 'ws'` and @fastify/websocket's own types see `ws` as `any`. Delete this
 * file when `@types/ws` is added. Runtime: ws 8 (node_modules/ws, `wrapper.mjs` for ESM).
 */
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

  export type RawData = Buffer | ArrayBuffer | Buffer[];

  export interface ClientOptions {
    headers?: OutgoingHttpHeaders;
    origin?: string;
    handshakeTimeout?: number;
    maxPayload?: number;
  }

  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    readonly readyState: 0 | 1 | 2 | 3;
    /** The subprotocol the server selected ('' when none). */
    readonly protocol: string;
    /** Bytes queued by `send` and not yet handed to the socket. */
    readonly bufferedAmount: number;
    constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
    send(data: string | Buffer, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    on(event: 'open', listener: () => void): this;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(
      event: 'unexpected-response',
      listener: (request: ClientRequest, response: IncomingMessage) => void,
    ): this;
    on(event: string | symbol, listener: (...args: unknown[]) => void): this;
    once(event: 'open', listener: () => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
    once(event: string | symbol, listener: (...args: unknown[]) => void): this;
  }

  export interface ServerOptions {
    /** Picks the subprotocol to answer with from those the client offered; false: none. */
    handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
    maxPayload?: number;
    perMessageDeflate?: boolean;
    clientTracking?: boolean;
  }

  export class Server extends EventEmitter {
    readonly clients: Set<WebSocket>;
    constructor(options?: ServerOptions);
    close(cb?: (err?: Error) => void): void;
  }

  export { Server as WebSocketServer };
  export default WebSocket;
}
