/**
 * The fault proxy between Node's fetch (undici, keep-alive) and a real `node:http` server, all on
 * real loopback sockets. The server counts complete and truncated requests, so each test states what
 * the server saw as well as what the client got.
 */
import http from 'node:http';
import net from 'node:net';
import { test as base, describe, expect, vi } from 'vitest';
import { type FaultPlan, FaultProxy, FaultProxyError, type ProxyAddress } from './fault-proxy.ts';

interface EchoServer {
  address: ProxyAddress;
  /** Requests whose body arrived complete, connections accepted, requests cut off mid-body. */
  counts: { completed: number; truncated: number; connections: number };
}

/**
 * POST /echo answers the request body with Content-Length; GET /chunked and GET /trailers answer
 * with chunked encoding (two writes, no Content-Length), the latter with a trailer; GET /empty
 * answers 204; HEAD answers Content-Length: 1000 and no body.
 */
async function startEchoServer(): Promise<EchoServer & { server: http.Server }> {
  const counts = { completed: 0, truncated: 0, connections: 0 };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    // A request cut off by the proxy errors with 'aborted'; that is what the test observes.
    req.on('error', () => {});
    req.on('close', () => {
      if (!req.complete) counts.truncated += 1;
    });
    req.on('end', () => {
      counts.completed += 1;
      if (req.method === 'HEAD') {
        // The length of the body a GET would have; a HEAD answer never has one.
        res.writeHead(200, { 'content-length': 1000 });
        res.end();
      } else if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else if (req.url === '/chunked') {
        res.write('{"parts":[');
        setTimeout(() => res.end('"a","b"]}'), 10);
      } else if (req.url === '/trailers') {
        res.setHeader('Trailer', 'x-digest');
        res.write('abc');
        res.addTrailers({ 'x-digest': 'xyz' });
        setTimeout(() => res.end('def'), 10);
      } else {
        const body = Buffer.concat(parts);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      }
    });
  });
  server.on('connection', () => {
    counts.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { server, address: { host: '127.0.0.1', port }, counts };
}

/**
 * Upper bound on the connections undici opens for a run of sequential requests to one origin. It
 * opens a second one early (and a new one after a 204) even when talking to the server directly, so
 * the tests do not count on exactly one; a proxy that broke keep-alive would need one per request.
 * The raw-socket test checks framing on a single connection exactly.
 */
const FEW_CONNECTIONS = 4;

interface StartedProxy {
  proxy: FaultProxy;
  url: string;
}

const test = base.extend<{ server: EchoServer; startProxy: (plan?: FaultPlan) => Promise<StartedProxy> }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  server: async ({}, use) => {
    const { server, ...echo } = await startEchoServer();
    await use(echo);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  },
  startProxy: async ({ server }, use) => {
    const started: FaultProxy[] = [];
    await use(async (plan) => {
      const proxy = new FaultProxy({ target: server.address, plan });
      started.push(proxy);
      const { host, port } = await proxy.start();
      return { proxy, url: `http://${host}:${port}` };
    });
    await Promise.all(started.map((p) => p.stop()));
  },
});

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function echo(url: string, body: unknown): Promise<unknown> {
  const res = await post(url, body);
  expect(res.status).toBe(200);
  return res.json();
}

/** A payment-like body of about `bytes` bytes, so a test can cross TCP segment sizes. */
function payment(n: number, bytes = 100): { paymentId: string; amount: string; memo: string } {
  return { paymentId: `p-${n}`, amount: `${n}.50`, memo: 'x'.repeat(bytes) };
}

/** Writes each piece on a raw socket, pausing between so each arrives as its own read; resolves with
 * every byte received until the socket closes. */
async function rawExchange(address: ProxyAddress, pieces: string[]): Promise<string> {
  const socket = net.connect({ ...address, noDelay: true });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const piece of pieces) {
    socket.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  await closed;
  return Buffer.concat(received).toString('latin1');
}

function rawPost(body: string, headers = ''): string {
  return `POST /echo HTTP/1.1\r\nHost: proxy\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;
}

/** mulberry32: a small seeded generator, so a fault sequence can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('without faults', () => {
  test('forwards many sequential requests over kept-alive connections, bodies intact', async ({
    server,
    startProxy,
  }) => {
    const { proxy, url } = await startProxy();
    // 200 KiB crosses many TCP segments and the 64 KiB socket read size.
    const sizes = [0, 10, 1_000, 200 * 1024, 10, 70 * 1024, ...Array.from({ length: 24 }, (_, i) => i * 37)];
    for (const [i, size] of sizes.entries()) {
      expect(await echo(url, payment(i, size))).toEqual(payment(i, size));
    }
    expect(server.counts).toMatchObject({ completed: sizes.length, truncated: 0 });
    expect(server.counts.connections).toBeLessThanOrEqual(FEW_CONNECTIONS);
    expect(proxy.stats).toEqual({
      requests: sizes.length,
      droppedResponses: 0,
      resetRequests: 0,
      resetResponses: 0,
      duplicated: 0,
      protocolErrors: 0,
    });
  });

  test('passes chunked (with trailers) and bodiless responses through', async ({ server, startProxy }) => {
    const { url } = await startProxy();
    for (let i = 0; i < 3; i++) {
      const chunked = await fetch(`${url}/chunked`);
      expect(chunked.headers.get('transfer-encoding')).toBe('chunked');
      expect(await chunked.json()).toEqual({ parts: ['a', 'b'] });
      expect(await (await fetch(`${url}/trailers`)).text()).toBe('abcdef');
      // Bodiless whatever the headers say: a HEAD answer (with a Content-Length) and a 204.
      const head = await fetch(`${url}/echo`, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe('1000');
      expect(await head.text()).toBe('');
      expect((await fetch(`${url}/empty`)).status).toBe(204);
      expect(await echo(url, payment(i))).toEqual(payment(i));
    }
    expect(server.counts).toMatchObject({ completed: 15, truncated: 0 });
  });

  // The proxy forwards a request only once the previous response is framed: a framing mistake
  // leaves it waiting, hence the short timeout.
  test('frames pipelined requests, a split head, and chunked, HEAD and 204 answers on one connection', {
    timeout: 5_000,
  }, async ({ server, startProxy }) => {
    const { proxy, url } = await startProxy();
    const address = { host: new URL(url).hostname, port: Number(new URL(url).port) };
    const get = (method: string, path: string) => `${method} ${path} HTTP/1.1\r\nHost: proxy\r\n\r\n`;
    const last = rawPost('{"n":3}', 'Connection: close\r\n');
    const split = last.indexOf('\r\n\r\n') + 2;
    const reply = await rawExchange(address, [
      rawPost('{"n":1}') + get('GET', '/trailers') + get('HEAD', '/echo'),
      get('GET', '/empty') + rawPost('{"n":2}') + get('GET', '/chunked'),
      last.slice(0, 5),
      last.slice(5, split),
      last.slice(split, split + 1),
      last.slice(split + 1),
    ]);
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '200', '200', '204', '200', '200', '200']);
    expect(reply).toMatch(/\{"n":1\}.*x-digest: xyz.*\{"n":2\}.*"a","b".*\{"n":3\}$/is);
    expect(server.counts).toEqual({ completed: 7, truncated: 0, connections: 1 });
    expect(proxy.stats.requests).toBe(7);
  });
});

describe('faults', () => {
  test('dropResponse: the server completes the request, the client gets no response', async ({
    server,
    startProxy,
  }) => {
    const { proxy, url } = await startProxy({ dropResponse: 1 });
    await expect(post(url, payment(1))).rejects.toThrow();
    expect(server.counts.completed).toBe(1);
    expect(proxy.stats.droppedResponses).toBe(1);

    // The plan changes at run time: the client's retry now gets through.
    proxy.setPlan({});
    expect(await echo(url, payment(1))).toEqual(payment(1));
    expect(server.counts.completed).toBe(2);
  });

  test('resetMidRequest: the server never sees a complete request', async ({ server, startProxy }) => {
    const { proxy, url } = await startProxy({ resetMidRequest: 1 });
    await expect(post(url, payment(1, 10_000))).rejects.toThrow();
    await vi.waitFor(() => expect(server.counts.truncated).toBe(1));
    expect(server.counts.completed).toBe(0);
    expect(proxy.stats.resetRequests).toBe(1);
  });

  test('resetMidResponse: the server completes the request, the client gets part of the response', async ({
    server,
    startProxy,
  }) => {
    const { proxy, url } = await startProxy({ resetMidResponse: 1 });
    // The cut falls in the body: the status arrives, reading the body fails.
    const res = await post(url, payment(1, 100_000));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(server.counts.completed).toBe(1);
    expect(proxy.stats.resetResponses).toBe(1);
  });

  test.for(['before', 'concurrent', 'after'] as const)(
    'duplicateRequest (%s): the server gets each request twice, the client one response',
    async (duplicateOrder, { server, startProxy }) => {
      const { proxy, url } = await startProxy({ duplicateRequest: 1, duplicateOrder });
      for (let i = 0; i < 3; i++) {
        expect(await echo(url, payment(i, 5_000))).toEqual(payment(i, 5_000));
      }
      await vi.waitFor(() => expect(server.counts.completed).toBe(6));
      expect(proxy.stats).toMatchObject({ requests: 3, duplicated: 3 });
    },
  );

  test('delayMs: each request reaches the server no sooner than the minimum delay', async ({
    server,
    startProxy,
  }) => {
    const min = 100;
    const { url } = await startProxy({ delayMs: { min, max: 150 } });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect(await echo(url, payment(i))).toEqual(payment(i));
      // A lower bound only; 1 ms of slack because timers run on a millisecond clock and can fire
      // up to 1 ms early against performance.now().
      expect(performance.now() - started).toBeGreaterThanOrEqual(min - 1);
    }
    expect(server.counts.completed).toBe(3);
  });

  test('a seeded random source replays the same faults', async ({ server, startProxy }) => {
    const outcomes = async (): Promise<string> => {
      const { url } = await startProxy({ dropResponse: 0.5, random: seededRandom(42) });
      let pattern = '';
      for (let i = 0; i < 12; i++) {
        pattern += await post(url, payment(i)).then(
          () => 'ok ',
          () => 'dropped ',
        );
      }
      return pattern;
    };
    const first = await outcomes();
    expect(first).toContain('ok');
    expect(first).toContain('dropped');
    expect(await outcomes()).toBe(first);
    expect(server.counts.completed).toBe(24);
  });
});

describe('lifecycle and errors', () => {
  test('stop() fails requests in flight, closes connections and refuses new ones', async ({
    server,
    startProxy,
  }) => {
    const { proxy, url } = await startProxy({ delayMs: { min: 5_000, max: 5_000 } });
    const inFlight = post(url, payment(1));
    await vi.waitFor(() => expect(proxy.stats.requests).toBe(1));
    await proxy.stop();
    await expect(inFlight).rejects.toThrow();
    await expect(post(url, payment(2))).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    expect(server.counts.completed).toBe(0);
  });

  test('closes the client connection when the server cannot be reached', async () => {
    const unused = net.createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const { port } = unused.address() as net.AddressInfo;
    await new Promise((resolve) => unused.close(resolve));
    const proxy = new FaultProxy({ target: { host: '127.0.0.1', port } });
    const { host, port: proxyPort } = await proxy.start();
    try {
      await expect(post(`http://${host}:${proxyPort}`, payment(1))).rejects.toThrow();
    } finally {
      await proxy.stop();
    }
  });

  test('refuses a bad plan and a second start, with typed errors', async ({ startProxy }) => {
    const { proxy } = await startProxy();
    expect(() => proxy.setPlan({ dropResponse: 1.5 })).toThrow(
      expect.objectContaining({ name: 'FaultProxyError', code: 'BAD_PLAN' }),
    );
    expect(() => proxy.setPlan({ delayMs: { min: 10, max: 5 } })).toThrow(FaultProxyError);
    await expect(proxy.start()).rejects.toMatchObject({ code: 'ALREADY_STARTED' });
  });

  test('a client that does not speak HTTP is disconnected and counted; others carry on', async ({
    startProxy,
  }) => {
    const { proxy, url } = await startProxy();
    const address = { host: new URL(url).hostname, port: Number(new URL(url).port) };
    expect(await rawExchange(address, ['HELLO\r\n\r\n'])).toBe('');
    expect(proxy.stats.protocolErrors).toBe(1);
    expect(await echo(url, payment(1))).toEqual(payment(1));
  });
});
