/**
 * A fault-injecting TCP proxy for HTTP/1.1, for tests that must prove a payment is applied exactly
 * once however the network between the terminal's sync client and the core misbehaves.
 *
 * It understands just enough HTTP/1.1 framing (request head + Content-Length or chunked body;
 * response head + Content-Length, chunked or read-until-close body) to act on each request of a
 * keep-alive connection: delay it, send it twice, cut it off, or lose or cut off its response.
 * Only `node:net`: the bytes the server and the client see are exactly what the proxy writes.
 */
import net from 'node:net';

/** Where a peer listens. */
export interface ProxyAddress {
  host: string;
  port: number;
}

/**
 * When the extra copy of a duplicated request reaches the server, relative to the original:
 * - `before`: the copy is sent on its own connection and its whole response read (and discarded)
 *   before the original is forwarded, so the client's response is the server's answer to a replay;
 * - `concurrent`: the copy and the original are sent at the same time, so the server handles both at
 *   once (the race a unique constraint must win);
 * - `after`: the copy is sent once the original's response has been fully received from the server,
 *   and may overlap the client's next request;
 * - `random`: one of the three, drawn from the plan's random source for each duplicated request.
 */
export type DuplicateOrder = 'before' | 'concurrent' | 'after' | 'random';

/**
 * The faults to inject. Each probability (0..1) is drawn independently for every request, once the
 * request has been fully received from the client, using the plan in force at that moment (see
 * `FaultProxy.setPlan`). At most one of `resetMidRequest`, `dropResponse`, `resetMidResponse` applies
 * to a request, checked in that order; `duplicateRequest` combines with the two response faults.
 * The delay applies to every request, before any other fault acts.
 */
export interface FaultPlan {
  /**
   * The server receives the whole request and answers it (it may have committed); the proxy reads the
   * whole response, forwards none of it and closes the client connection (FIN) and that upstream
   * connection. The client sees its connection closed while awaiting the response.
   */
  dropResponse?: number;
  /**
   * The server receives the request head and the first half of the body (half the head when there is
   * no body), then end of stream: it never sees a complete request. The client connection is reset
   * (RST) without a response byte.
   */
  resetMidRequest?: number;
  /**
   * The server receives and answers the whole request. The client receives at most the response head
   * and the first half of its body (half the head when there is none), then a reset (RST): its fetch
   * may resolve with a status and fail while reading the body.
   */
  resetMidResponse?: number;
  /**
   * The server receives the same request bytes twice, the copy on a short-lived connection of its own;
   * the copy's response is read and discarded, the client receives the original's response (so the
   * client never knows). When the copy is sent: `duplicateOrder`.
   */
  duplicateRequest?: number;
  /** Default `random`. */
  duplicateOrder?: DuplicateOrder;
  /** Extra delay (ms) before forwarding each request, uniformly drawn in [min, max]. */
  delayMs?: { min: number; max: number };
  /** Random source in [0, 1) for every draw, for reproducible tests; default `Math.random`. */
  random?: () => number;
}

/** Counts of what the proxy did, since it was constructed. */
export interface FaultStats {
  /** Complete requests received from clients (whatever then happened to them). */
  requests: number;
  droppedResponses: number;
  resetRequests: number;
  resetResponses: number;
  /** Extra copies sent to the server. */
  duplicated: number;
  /**
   * Connections closed because a peer sent bytes the proxy could not frame as HTTP/1.1 (including a
   * 101 upgrade, which it does not support). Non-zero means the proxy, not the plan, broke a test.
   */
  protocolErrors: number;
}

export interface FaultProxyOptions {
  /** The HTTP server to forward to. */
  target: ProxyAddress;
  /** Default 127.0.0.1, port 0 (any free port). */
  listen?: { host?: string; port?: number };
  /** Default: no faults. */
  plan?: FaultPlan;
}

export type FaultProxyErrorCode =
  /** `start()` was called while the proxy was already listening. */
  | 'ALREADY_STARTED'
  /** A plan with a probability outside 0..1 or a delay range that is not 0 <= min <= max. */
  | 'BAD_PLAN'
  /** The proxy could not listen on the requested address. */
  | 'LISTEN_FAILED'
  /** A peer sent bytes that are not HTTP/1.1 the proxy can frame; counted in `protocolErrors`. */
  | 'BAD_HTTP';

export class FaultProxyError extends Error {
  constructor(
    readonly code: FaultProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FaultProxyError';
  }
}

/**
 * Largest request or response head, and longest chunk-size or trailer line, the proxy buffers.
 * Node's http server refuses heads over 16 KiB by default (`maxHeaderSize`); 64 KiB lets through
 * anything a server we front could accept while bounding memory when a peer does not speak HTTP.
 */
const MAX_HEAD_BYTES = 64 * 1024;

const EMPTY: Buffer = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Listens on a local port and forwards each client connection to `target` over one upstream
 * connection of its own, one request at a time: a request is forwarded only once the previous
 * response has been fully received from the server (pipelined requests wait in the proxy).
 *
 * Contract:
 * - With no faults the client and the server see the same bytes as on a direct connection, except
 *   for timing. When the server closes the connection (after a response, or mid-response), the proxy
 *   closes the client connection the same way once it has forwarded what it received; when the client
 *   closes, the proxy closes the upstream connection.
 * - When a fault closes a client connection, its upstream connection is closed too.
 * - If the server cannot be reached, the client connection is accepted and then closed.
 * - No error on any socket escapes: a failed socket closes its connection pair.
 * - `stop()` refuses new connections (the port is closed) and destroys every open socket, including
 *   the connections of duplicated requests; requests in flight fail on the client side.
 * - Not supported: protocol upgrades (101), CONNECT; a client that sends one is disconnected.
 */
export class FaultProxy {
  private server: net.Server | undefined;
  private plan: FaultPlan;
  private readonly counters: FaultStats = {
    requests: 0,
    droppedResponses: 0,
    resetRequests: 0,
    resetResponses: 0,
    duplicated: 0,
    protocolErrors: 0,
  };
  private readonly connections = new Set<ProxiedConnection>();
  /** Every socket the proxy opened or accepted, until it closes; `stop()` destroys what is left. */
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: FaultProxyOptions) {
    this.plan = options.plan ?? {};
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<FaultStats> {
    return { ...this.counters };
  }

  /** Listens; resolves with the address clients should connect to. */
  async start(): Promise<ProxyAddress> {
    if (this.server) {
      throw new FaultProxyError('ALREADY_STARTED', 'Cannot start the fault proxy: it is already listening');
    }
    validatePlan(this.plan);
    // allowHalfOpen: a client that sends FIN after its last request still gets the responses owed.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client));
    const host = this.options.listen?.host ?? '127.0.0.1';
    const port = this.options.listen?.port ?? 0;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      throw new FaultProxyError('LISTEN_FAILED', `The fault proxy cannot listen on ${host}:${port}`, {
        cause: err,
      });
    }
    // Accept failures (EMFILE, ...) are emitted here; they only cost the connection being accepted.
    server.on('error', () => {});
    const address = server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Replaces the plan; it applies to requests completed from now on. Throws BAD_PLAN. */
  setPlan(plan: FaultPlan): void {
    validatePlan(plan);
    this.plan = { ...plan, delayMs: plan.delayMs && { ...plan.delayMs } };
  }

  /** Closes the port and destroys every open socket. Resolves once the listener is closed. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of this.connections) connection.close({ client: 'destroy' });
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ ...this.options.target, noDelay: true });
    this.track(client);
    this.track(upstream);
    const connection = new ProxiedConnection(client, upstream, {
      counters: this.counters,
      drawFaults: () => drawFaults(this.plan),
      replay: (request) => this.replay(request),
      closed: (c) => this.connections.delete(c),
    });
    this.connections.add(connection);
    connection.start();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Sends a copy of `request` on a new connection; resolves once its response is read or it closed. */
  private replay(request: BufferedRequest): Promise<void> {
    this.counters.duplicated += 1;
    return new Promise((resolve) => {
      const socket = net.connect({ ...this.options.target, noDelay: true });
      this.track(socket);
      let framer = new HttpMessageFramer({ kind: 'response', requestMethod: request.method });
      let pending = EMPTY;
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
        try {
          for (;;) {
            pending = pending.subarray(framer.advance(pending));
            if (!framer.done) return;
            if (!framer.interim) {
              socket.destroy();
              return;
            }
            framer = new HttpMessageFramer({ kind: 'response', requestMethod: request.method });
          }
        } catch {
          this.counters.protocolErrors += 1;
          socket.destroy();
        }
      });
      // Whatever went wrong with the copy, the original goes on; 'close' follows every error.
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.write(request.bytes);
    });
  }
}

/** What one request suffers, drawn from the plan when the request is taken from the queue. */
interface RequestFaults {
  delayMs: number;
  resetMidRequest: boolean;
  duplicate: 'before' | 'concurrent' | 'after' | null;
  response: 'drop' | 'reset' | null;
}

function drawFaults(plan: FaultPlan): RequestFaults {
  const random = plan.random ?? Math.random;
  // Certain and impossible events draw nothing, so a test's seeded sequence is spent on real choices.
  const happens = (p = 0) => p > 0 && (p >= 1 || random() < p);
  const { min = 0, max = 0 } = plan.delayMs ?? {};
  const delayMs = max > min ? min + random() * (max - min) : min;
  if (happens(plan.resetMidRequest)) {
    return { delayMs, resetMidRequest: true, duplicate: null, response: null };
  }
  let duplicate: RequestFaults['duplicate'] = null;
  if (happens(plan.duplicateRequest)) {
    const order = plan.duplicateOrder ?? 'random';
    const orders = ['before', 'concurrent', 'after'] as const;
    duplicate = order === 'random' ? (orders[Math.floor(random() * orders.length)] ?? 'after') : order;
  }
  const response = happens(plan.dropResponse) ? 'drop' : happens(plan.resetMidResponse) ? 'reset' : null;
  return { delayMs, resetMidRequest: false, duplicate, response };
}

function validatePlan(plan: FaultPlan): void {
  const probabilities = ['dropResponse', 'resetMidRequest', 'resetMidResponse', 'duplicateRequest'] as const;
  for (const name of probabilities) {
    const p = plan[name];
    if (p !== undefined && !(Number.isFinite(p) && p >= 0 && p <= 1)) {
      throw new FaultProxyError(
        'BAD_PLAN',
        `Fault plan ${name} is ${p}; a probability is a number from 0 to 1`,
      );
    }
  }
  const range = plan.delayMs;
  if (
    range &&
    !(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min >= 0 && range.max >= range.min)
  ) {
    throw new FaultProxyError(
      'BAD_PLAN',
      `Fault plan delayMs is {min: ${range.min}, max: ${range.max}}; it needs 0 <= min <= max (milliseconds)`,
    );
  }
}

/**
 * Where to cut a message so that the peer gets part of it: half-way through the body, or half-way
 * through the head when there is no body.
 */
function cutPoint(headLength: number, messageLength: number): number {
  const bodyLength = messageLength - headLength;
  return bodyLength > 0 ? headLength + Math.floor(bodyLength / 2) : Math.floor(headLength / 2);
}

/** A complete request as the client sent it. */
interface BufferedRequest {
  bytes: Buffer;
  method: string;
  headLength: number;
}

interface ConnectionContext {
  counters: FaultStats;
  drawFaults(): RequestFaults;
  replay(request: BufferedRequest): Promise<void>;
  closed(connection: ProxiedConnection): void;
}

/** A request taken from the queue, from its delay until its response has been dealt with. */
interface Exchange {
  request: BufferedRequest;
  faults: RequestFaults;
  /** Set once the request has been written upstream. */
  response?: HttpMessageFramer;
  /** Response bytes withheld from the client because a response fault applies. */
  held: Buffer[];
}

/** How to close a connection pair. */
interface CloseHow {
  client: 'end' | 'destroy' | 'reset';
  /** With `reset`: bytes written to the client before the reset. */
  toClient?: Buffer;
  /** Last bytes for the server, followed by FIN; without them the upstream socket is destroyed. */
  toUpstream?: Buffer;
}

/** One client connection and its upstream connection. */
class ProxiedConnection {
  private closed = false;
  private clientEnded = false;
  private upstreamEnded = false;
  private requestFramer = new HttpMessageFramer({ kind: 'request' });
  /** Bytes of the request being received that the framer has consumed. */
  private requestParts: Buffer[] = [];
  /** Bytes from the client the framer has not consumed yet (a partial head or line). */
  private requestBuffer = EMPTY;
  private responseBuffer = EMPTY;
  private readonly queue: BufferedRequest[] = [];
  private exchange: Exchange | undefined;
  private delayTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    private readonly context: ConnectionContext,
  ) {}

  start(): void {
    const { client, upstream } = this;
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    client.on('end', () => {
      this.clientEnded = true;
      this.pump();
    });
    upstream.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    upstream.on('end', () => this.onUpstreamEnd());
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.close({ client: 'destroy' }));
      socket.on('close', () => this.close({ client: 'destroy' }));
    }
  }

  /** Closes both sockets as `how` says; later calls do nothing. */
  close(how: CloseHow): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.delayTimer);
    this.queue.length = 0;
    this.exchange = undefined;
    const { client, upstream } = this;
    if (how.client === 'end') client.end();
    else if (how.client === 'destroy') client.destroy();
    else if (how.toClient && how.toClient.length > 0) client.write(how.toClient, () => reset(client));
    else reset(client);
    if (how.toUpstream) upstream.end(how.toUpstream);
    else upstream.destroy();
    this.context.closed(this);
  }

  private onClientData(chunk: Buffer): void {
    if (this.closed) return;
    let data = this.requestBuffer.length > 0 ? Buffer.concat([this.requestBuffer, chunk]) : chunk;
    try {
      while (data.length > 0) {
        const used = this.requestFramer.advance(data);
        if (used > 0) this.requestParts.push(data.subarray(0, used));
        data = data.subarray(used);
        if (!this.requestFramer.done) break;
        this.queue.push({
          bytes: Buffer.concat(this.requestParts),
          method: this.requestFramer.method,
          headLength: this.requestFramer.headLength,
        });
        this.context.counters.requests += 1;
        this.requestFramer = new HttpMessageFramer({ kind: 'request' });
        this.requestParts = [];
      }
    } catch {
      this.context.counters.protocolErrors += 1;
      this.close({ client: 'destroy' });
      return;
    }
    this.requestBuffer = data;
    this.pump();
  }

  /** Starts the next queued request if none is in flight; ends the connection once the client has. */
  private pump(): void {
    if (this.closed || this.exchange || this.upstreamEnded) return;
    const request = this.queue.shift();
    if (!request) {
      if (this.clientEnded) this.close({ client: 'end' });
      return;
    }
    const exchange: Exchange = { request, faults: this.context.drawFaults(), held: [] };
    this.exchange = exchange;
    if (exchange.faults.delayMs > 0) {
      this.delayTimer = setTimeout(() => void this.forward(exchange), exchange.faults.delayMs);
    } else {
      void this.forward(exchange);
    }
  }

  private async forward(exchange: Exchange): Promise<void> {
    if (this.closed) return;
    const { request, faults } = exchange;
    if (faults.resetMidRequest) {
      this.context.counters.resetRequests += 1;
      const sent = request.bytes.subarray(0, cutPoint(request.headLength, request.bytes.length));
      this.close({ client: 'reset', toUpstream: sent });
      return;
    }
    if (faults.duplicate === 'before') {
      await this.context.replay(request);
      if (this.closed) return;
    } else if (faults.duplicate === 'concurrent') {
      void this.context.replay(request);
    }
    exchange.response = new HttpMessageFramer({ kind: 'response', requestMethod: request.method });
    this.upstream.write(request.bytes);
  }

  private onUpstreamData(chunk: Buffer): void {
    let data = this.responseBuffer.length > 0 ? Buffer.concat([this.responseBuffer, chunk]) : chunk;
    while (data.length > 0 && !this.closed) {
      const exchange = this.exchange;
      const framer = exchange?.response;
      if (!exchange || !framer) {
        // Not an answer to anything (a server's 408 before it closes an idle connection): pass it on.
        this.toClient(data);
        data = EMPTY;
        break;
      }
      let used: number;
      try {
        used = framer.advance(data);
      } catch {
        this.context.counters.protocolErrors += 1;
        this.close({ client: 'destroy' });
        return;
      }
      const bytes = data.subarray(0, used);
      data = data.subarray(used);
      if (exchange.faults.response) exchange.held.push(bytes);
      else this.toClient(bytes);
      if (!framer.done) break;
      this.onResponse(exchange, framer);
    }
    this.responseBuffer = data;
  }

  private onUpstreamEnd(): void {
    this.upstreamEnded = true;
    const exchange = this.exchange;
    // A response without Content-Length or chunked encoding ends with the connection.
    if (exchange?.response?.endOfStream()) this.onResponse(exchange, exchange.response);
    // Mirror the server: whatever it sent has been forwarded (or withheld by a fault); now FIN.
    this.close({ client: 'end' });
  }

  /** A complete response (interim or final) to `exchange` has been received from the server. */
  private onResponse(exchange: Exchange, framer: HttpMessageFramer): void {
    const { request, faults } = exchange;
    if (framer.interim) {
      exchange.response = new HttpMessageFramer({ kind: 'response', requestMethod: request.method });
      return;
    }
    this.exchange = undefined;
    if (faults.duplicate === 'after') void this.context.replay(request);
    if (faults.response === 'drop') {
      this.context.counters.droppedResponses += 1;
      this.close({ client: 'destroy' });
    } else if (faults.response === 'reset') {
      this.context.counters.resetResponses += 1;
      const held = Buffer.concat(exchange.held);
      const start = held.length - framer.length;
      this.close({
        client: 'reset',
        toClient: held.subarray(0, start + cutPoint(framer.headLength, framer.length)),
      });
    } else {
      this.pump();
    }
  }

  /** Writes to the client, pausing the upstream socket while the client's buffer is full. */
  private toClient(bytes: Buffer): void {
    if (this.client.write(bytes) || this.upstream.isPaused()) return;
    this.upstream.pause();
    this.client.once('drain', () => this.upstream.resume());
  }
}

function reset(socket: net.Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

type FramerState =
  | { at: 'head' }
  | { at: 'length'; remaining: number }
  | { at: 'chunk-size' }
  | { at: 'chunk-data'; remaining: number }
  | { at: 'chunk-end' }
  | { at: 'trailers' }
  | { at: 'until-close' }
  | { at: 'done' };

interface MessageHead {
  startLine: string;
  fields: Map<string, string[]>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) \S+ HTTP\/1\.[01]$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/**
 * Finds where one HTTP/1.1 message ends in a byte stream (RFC 9112 section 6). Bytes are fed from
 * the start of a buffer; `advance` consumes as many of them as belong to this message and can be
 * framed now, and leaves an incomplete head or line in place until more bytes arrive. Throws
 * FaultProxyError BAD_HTTP for anything it cannot frame.
 */
class HttpMessageFramer {
  private state: FramerState = { at: 'head' };
  private consumed = 0;
  private head: { length: number; method: string; status: number } | undefined;

  constructor(private readonly options: { kind: 'request' } | { kind: 'response'; requestMethod: string }) {}

  get done(): boolean {
    return this.state.at === 'done';
  }
  /** Bytes of this message consumed so far (all of it once `done`). */
  get length(): number {
    return this.consumed;
  }
  get headLength(): number {
    return this.head?.length ?? 0;
  }
  /** The request method (requests only). */
  get method(): string {
    return this.head?.method ?? '';
  }
  /** A 1xx response: another response to the same request follows. */
  get interim(): boolean {
    const status = this.head?.status ?? 0;
    return status >= 100 && status < 200;
  }

  /** Returns how many bytes at the start of `data` belong to this message. */
  advance(data: Buffer): number {
    let offset = 0;
    for (;;) {
      const state = this.state;
      switch (state.at) {
        case 'head': {
          const end = data.indexOf(CRLFCRLF, offset);
          if (end < 0 || end + 4 - offset > MAX_HEAD_BYTES) return this.took(offset, data, 'head');
          const head = parseHead(data.toString('latin1', offset, end));
          offset = end + 4;
          this.head = { length: offset, ...this.startLine(head.startLine) };
          this.state = this.bodyFraming(head);
          break;
        }
        case 'length':
        case 'chunk-data': {
          const n = Math.min(state.remaining, data.length - offset);
          offset += n;
          state.remaining -= n;
          if (state.remaining > 0) return this.took(offset);
          this.state = state.at === 'length' ? { at: 'done' } : { at: 'chunk-end' };
          break;
        }
        case 'chunk-size': {
          const eol = data.indexOf(CRLF, offset);
          if (eol < 0) return this.took(offset, data, 'chunk-size line');
          const size = data.toString('latin1', offset, eol).split(';')[0]?.trim() ?? '';
          if (!/^[0-9A-Fa-f]{1,12}$/.test(size)) throw badHttp(`Bad chunk size ${JSON.stringify(size)}`);
          offset = eol + 2;
          const remaining = Number.parseInt(size, 16);
          this.state = remaining === 0 ? { at: 'trailers' } : { at: 'chunk-data', remaining };
          break;
        }
        case 'chunk-end': {
          if (data.length - offset < 2) return this.took(offset);
          if (data[offset] !== 0x0d || data[offset + 1] !== 0x0a)
            throw badHttp('Chunk data not followed by CRLF');
          offset += 2;
          this.state = { at: 'chunk-size' };
          break;
        }
        case 'trailers': {
          const eol = data.indexOf(CRLF, offset);
          if (eol < 0) return this.took(offset, data, 'trailer line');
          if (eol === offset) this.state = { at: 'done' };
          offset = eol + 2;
          break;
        }
        case 'until-close':
          return this.took(data.length);
        case 'done':
          return this.took(offset);
      }
    }
  }

  /**
   * The stream ended: returns true if that completes the message (a body read until close), which
   * is then `done`.
   */
  endOfStream(): boolean {
    if (this.state.at !== 'until-close') return false;
    this.state = { at: 'done' };
    return true;
  }

  /** Records `offset` bytes as consumed; with `waitingFor`, refuses to wait on an overlong line. */
  private took(offset: number, data?: Buffer, waitingFor?: string): number {
    if (data && data.length - offset > MAX_HEAD_BYTES) {
      throw badHttp(`No end of ${waitingFor} within ${MAX_HEAD_BYTES} bytes`);
    }
    this.consumed += offset;
    return offset;
  }

  private startLine(line: string): { method: string; status: number } {
    if (this.options.kind === 'request') {
      const match = REQUEST_LINE.exec(line);
      if (!match?.[1]) throw badHttp(`Bad request line ${JSON.stringify(line)}`);
      if (match[1] === 'CONNECT') throw badHttp('CONNECT is not supported');
      return { method: match[1], status: 0 };
    }
    const match = STATUS_LINE.exec(line);
    if (!match?.[1]) throw badHttp(`Bad status line ${JSON.stringify(line)}`);
    const status = Number(match[1]);
    if (status === 101) throw badHttp('101 Switching Protocols is not supported');
    return { method: '', status };
  }

  /** RFC 9112 section 6.3, for the cases a client and server of ours can produce. */
  private bodyFraming(head: MessageHead): FramerState {
    const isRequest = this.options.kind === 'request';
    if (!isRequest) {
      const status = this.head?.status ?? 0;
      const headRequest = this.options.kind === 'response' && this.options.requestMethod === 'HEAD';
      if (headRequest || this.interim || status === 204 || status === 304)
        return { at: 'length', remaining: 0 };
    }
    const transferEncoding = head.fields.get('transfer-encoding');
    if (transferEncoding) {
      const codings = listValues(transferEncoding).map((c) => c.toLowerCase());
      if (codings.at(-1) === 'chunked') return { at: 'chunk-size' };
      if (isRequest) throw badHttp('A request body must end with the chunked transfer coding');
      return { at: 'until-close' };
    }
    const contentLength = head.fields.get('content-length');
    if (contentLength) {
      const values = listValues(contentLength);
      const first = values[0] ?? '';
      if (!/^\d{1,15}$/.test(first) || values.some((v) => v !== first)) {
        throw badHttp(`Bad Content-Length ${JSON.stringify(contentLength.join(', '))}`);
      }
      return { at: 'length', remaining: Number(first) };
    }
    return isRequest ? { at: 'length', remaining: 0 } : { at: 'until-close' };
  }
}

function parseHead(text: string): MessageHead {
  const [startLine = '', ...lines] = text.split('\r\n');
  const fields = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon < 0 || !TOKEN.test(name)) throw badHttp(`Bad header line ${JSON.stringify(line)}`);
    const key = name.toLowerCase();
    const values = fields.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    fields.set(key, values);
  }
  return { startLine, fields };
}

/** The comma-separated elements of a header's values. */
function listValues(values: string[]): string[] {
  return values
    .join(',')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function badHttp(message: string): FaultProxyError {
  return new FaultProxyError('BAD_HTTP', `Cannot frame HTTP/1.1: ${message}`);
}
