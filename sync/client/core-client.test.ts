/**
 * How the core client treats a connection that fails at each moment, against a bare HTTP server
 * (the client's signatures are not checked here; sync/core/core.test.ts does that end to end).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreClient } from './core-client.ts';
import { CoreConnectionLostError, CoreUnreachableError } from './errors.ts';

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

  it('a refused connection is "unreachable", at once', async () => {
    const url = await serve(() => {});
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await expect(clientAt(url).syncState()).rejects.toBeInstanceOf(CoreUnreachableError);
  });
});
