/**
 * How the core client treats a connection that fails at each moment, against a bare HTTP server
 * (the client's signatures are not checked here; sync/core/core.test.ts does that end to end).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoreClient } from './core-client.ts';
import {
  CoreConnectionLostError,
  CoreProtocolError,
  CoreTimeoutError,
  CoreUnreachableError,
} from './errors.ts';

const { privateKey } = crypto.generateKeyPairSync('ed25519');
const STATE = JSON.stringify({
  terminalId: 'sp-00112233445566ff',
  highestContiguousSeq: 0,
  anchor: null,
  serverTime: new Date().toISOString(),
});

let server: http.Server | undefined;
let client: CoreClient | undefined;
afterEach(async () => {
  client?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clientAt(baseUrl: string): CoreClient {
  client = new CoreClient({ baseUrl, terminalId: 'sp-test', sign: (d) => crypto.sign(null, d, privateKey) });
  return client;
}

describe('core client connections', () => {
  it('sends again, signed afresh, when a kept-alive connection is dropped before any answer', async () => {
    const nonces: string[] = [];
    let n = 0;
    const url = await serve((req, res) => {
      n += 1;
      nonces.push(String(req.headers.signature ?? req.headers['signature-input']));
      if (n === 2) return req.socket.destroy(); // the idle connection closed under the request
      res.setHeader('content-type', 'application/json');
      res.end(STATE);
    });
    const c = clientAt(url);
    await c.syncState();
    await expect(c.syncState()).resolves.toMatchObject({ terminalId: 'sp-00112233445566ff' });
    expect(n).toBe(3);
    expect(new Set(nonces).size).toBe(3);
  });

  it('does not send again when the answer was cut off midway: the core may have acted', async () => {
    let n = 0;
    const url = await serve((_req, res) => {
      n += 1;
      if (n === 1) return res.end(STATE);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write(STATE.slice(0, 20));
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const c = clientAt(url);
    await c.syncState();
    await expect(c.syncState()).rejects.toBeInstanceOf(CoreConnectionLostError);
    expect(n).toBe(2);
  });

  it('a call with no answer times out after its own timeout: the core may have acted on it', async () => {
    const url = await serve(() => {}); // takes the request, never answers
    const timeouts = vi.spyOn(AbortSignal, 'timeout');
    try {
      await expect(clientAt(url).syncState({ timeoutMs: 150 })).rejects.toBeInstanceOf(CoreTimeoutError);
      expect(timeouts.mock.calls).toEqual([[150]]);
    } finally {
      timeouts.mockRestore();
      server?.closeAllConnections();
    }
  });

  it('a refused connection is "unreachable", at once', async () => {
    const url = await serve(() => {});
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await expect(clientAt(url).syncState()).rejects.toBeInstanceOf(CoreUnreachableError);
  });

  it('an answer that is not the core\'s (a Wi-Fi sign-in page, a redirect) is "unreachable"; its clock is not learnt', async () => {
    const answers: [number, Record<string, string>, string][] = [
      [302, { location: 'http://portal.example/login' }, ''],
      [200, { 'content-type': 'text/html' }, '<html>Sign in to the Wi-Fi</html>'],
      [404, { 'content-type': 'text/html' }, '<html>Not found</html>'],
      [407, {}, ''],
      [511, { 'content-type': 'text/html' }, '<html>Network authentication required</html>'],
    ];
    let next = 0;
    const url = await serve((_req, res) => {
      const [status, headers, body] = answers[next++] as (typeof answers)[number];
      // A clock a day ahead: learnt, it would make every later signature stale.
      res.writeHead(status, { ...headers, date: new Date(Date.now() + 86_400_000).toUTCString() });
      res.end(body);
    });
    const c = clientAt(url);
    for (const [status] of answers) {
      const err = await c.syncState().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreUnreachableError);
      expect((err as Error).message).toContain(`HTTP ${status}`);
    }
    expect(Math.abs(c.clockOffsetMs)).toBeLessThan(2_000);
  });

  it('a TLS certificate that is not the core\'s (a portal answering in its name) is "unreachable": nothing was sent', async () => {
    const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
    let requests = 0;
    server = https.createServer(
      {
        key: fs.readFileSync(path.join(fixtures, 'portal-key.pem')),
        cert: fs.readFileSync(path.join(fixtures, 'portal-cert.pem')),
      },
      (_req, res) => {
        requests += 1;
        res.end('<html>Sign in</html>');
      },
    ) as unknown as http.Server;
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(clientAt(url).syncState()).rejects.toBeInstanceOf(CoreUnreachableError);
    expect(requests).toBe(0);
  });

  it('a proxy\'s 502 page is not "unreachable": the core may have acted, so the outcome is in doubt', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    });
    const err = await clientAt(url)
      .syncState()
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(CoreUnreachableError);
    expect(err).toMatchObject({ status: 502 });
  });

  it("an error in the core's shape with a code this terminal does not know is still the core's refusal", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'SOMETHING_NEW', message: 'A newer core refuses this.' } }));
    });
    await expect(clientAt(url).syncState()).rejects.toMatchObject({
      status: 403,
      code: 'HTTP_ERROR',
      message: 'A newer core refuses this.',
    });
  });
});

describe('core client: orders and refunds', () => {
  const paymentId = crypto.randomUUID();
  const order = {
    paymentId,
    seq: 7,
    amount: { minor: 1250, currency: 'CNY' },
    scheme: 'alipay',
    codeHash: 'a'.repeat(64),
    capturedAt: '2026-11-25T09:30:00.000Z',
  };

  /** A server answering `answer` to every request, recording what it was sent. */
  async function answering(answer: unknown) {
    const seen: { method?: string; url?: string; body: string }[] = [];
    const url = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8') });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
    return { url, seen };
  }

  it('creates an order at /v1/orders and checks the answer against the protocol', async () => {
    const answer = {
      paymentId,
      qr: `suanpan://order/${paymentId}`,
      expiresAt: '2026-11-25T09:32:00.000Z',
      duplicate: false,
    };
    const { url, seen } = await answering(answer);
    expect(await clientAt(url).createOrder(order)).toEqual(answer);
    expect(seen).toEqual([{ method: 'POST', url: '/v1/orders', body: JSON.stringify(order) }]);
  });

  it('refuses an order answer whose QR is not an order', async () => {
    const { url } = await answering({
      paymentId,
      qr: 'https://example.com/',
      expiresAt: '2026-11-25T09:32:00.000Z',
      duplicate: false,
    });
    await expect(clientAt(url).createOrder(order)).rejects.toBeInstanceOf(CoreProtocolError);
  });

  it('refunds at /v1/payments/:id/refund; an answer that is not "refunded" is refused', async () => {
    const body = { amount: { minor: 1250, currency: 'CNY' }, reason: 'returned goods' };
    const ok = await answering({ paymentId, state: 'refunded', duplicate: false });
    expect(await clientAt(ok.url).refund(paymentId, body)).toEqual({
      paymentId,
      state: 'refunded',
      duplicate: false,
    });
    expect(ok.seen).toEqual([
      { method: 'POST', url: `/v1/payments/${paymentId}/refund`, body: JSON.stringify(body) },
    ]);
    client?.close();
    await new Promise((resolve) => server?.close(resolve));
    const wrong = await answering({ paymentId, state: 'approved', duplicate: false });
    await expect(clientAt(wrong.url).refund(paymentId, body)).rejects.toBeInstanceOf(CoreProtocolError);
  });
});
