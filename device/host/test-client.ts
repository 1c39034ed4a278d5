/**
 * A client of the local API for tests: plain HTTP requests whose every header is set as given
 * (Origin, Host, Authorization), and a WebSocket client (`ws`, as @fastify/websocket uses) that
 * collects the host's events and waits for one.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { type HostEvent, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from './api-schema.ts';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as received (a PNG, say). */
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes; tests check them field by field
  json: any;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  origin?: string;
  /** Overrides the Host header. */
  host?: string;
  body?: unknown;
  headers?: http.OutgoingHttpHeaders;
}

export function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: http.OutgoingHttpHeaders = {
    ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    // Explicit: Node's client sends a DELETE body with neither length nor chunking otherwise.
    ...(body !== undefined
      ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const tokenProtocols = (token: string) => [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${token}`];

/** The host's events as a test sees them. */
export class EventClient {
  readonly events: HostEvent[] = [];
  private waiters: { match: (e: HostEvent) => boolean; resolve: (e: HostEvent) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const event = JSON.parse(String(data)) as HostEvent;
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(event)) return true;
        w.resolve(event);
        return false;
      });
    });
  }

  /** Connects to `/api/events` with the token as the browser does (subprotocols). */
  static connect(baseUrl: string, token: string, options: { origin?: string } = {}): Promise<EventClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${WS_PATH}`, tokenProtocols(token), {
      ...(options.origin ? { origin: options.origin } : {}),
    });
    const client = new EventClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** The first event (already received, or to come) that `match` accepts. */
  next<T extends HostEvent>(match: (e: HostEvent) => e is T): Promise<T>;
  next(match: (e: HostEvent) => boolean): Promise<HostEvent>;
  next(match: (e: HostEvent) => boolean): Promise<HostEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/**
 * Tries a WebSocket upgrade that the host should refuse; resolves with the HTTP status it answered
 * with, or rejects if the socket opened.
 */
export function refusedUpgrade(
  baseUrl: string,
  protocols: string[],
  options: { origin?: string; headers?: http.OutgoingHttpHeaders } = {},
): Promise<number> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${WS_PATH}`, protocols, {
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (req, res) => {
      // With this listener the response is ours to finish (ws docs): read it, then drop the socket.
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    socket.on('open', () => {
      socket.close();
      reject(new Error('the WebSocket upgrade was accepted'));
    });
    socket.on('error', () => {});
  });
}
