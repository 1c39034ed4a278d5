/**
 * A core that is up but failing: its database out of reach (a 503 that says nothing was applied:
 * the payment takes the offline path), or an error of its own (a 500: in doubt, said as such, and
 * the CLI shows it as the core's failure, not as a crash of its own).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCore } from '../sync/core/server.ts';
import {
  cny,
  openTestDb,
  PG_ADMIN_URL,
  POSTGRES_SKIP_REASON,
  postgresAvailable,
  silentLog,
  startTestCore,
  type TestDb,
} from '../sync/core/testing.ts';
import { activate } from './activation.ts';
import { openTerminal } from './terminal.ts';
import { runCli } from './testing/cli-child.ts';

const pgOk = await postgresAvailable();

function newDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-outage-'));
}

/** The CLI in a child process, with --json (async: a server in this process must keep answering). */
const cli = (args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}) =>
  runCli([...args, '--data-dir', dataDir, '--json'], env);

describe.skipIf(!pgOk)(
  `a core whose database is out of reach (${pgOk ? 'PostgreSQL' : POSTGRES_SKIP_REASON})`,
  () => {
    let t: TestDb;
    let core: RunningCore;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    beforeAll(async () => {
      t = await openTestDb('postgres');
      core = await startTestCore(t.db);
      await admin.connect();
    }, 60_000);
    afterAll(async () => {
      await core?.close();
      await admin.end();
      await t?.cleanup();
    });

    it('answers 503 CORE_UNAVAILABLE, and the payment takes the offline path instead of ending in doubt', async () => {
      const dataDir = newDataDir();
      const merchant = (await core.service.createMerchant('Shop')).merchantId;
      const { code: activation } = await core.service.createActivationCode(merchant);
      await activate({ dataDir, coreUrl: core.url, code: activation, env: {} });
      const { walletId } = await core.service.createWallet(cny(10_000));
      const { code } = await core.service.issueWalletCode(walletId);
      const name = new URL(t.url as string).pathname.slice(1);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const terminal = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        const { payment } = await terminal.checkout.pay({ amount: cny(500), code });
        expect(payment).toMatchObject({ status: 'accepted_offline', mode: 'offline' });
        expect(terminal.journal.syncInfo().lastError).toMatchObject({
          code: 'CORE_UNREACHABLE',
          message: expect.stringContaining("can't reach its database"),
        });
      } finally {
        terminal.close();
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      }
      // The database back: the stored payment syncs and settles.
      const again = openTerminal({ dataDir, create: false, logger: silentLog(), env: {} });
      try {
        const { SyncEngine } = await import('../sync/client/sync-engine.ts');
        const engine = new SyncEngine({
          journal: again.journal,
          client: again.coreClient as NonNullable<typeof again.coreClient>,
          log: silentLog(),
          softwareVersion: 'test',
        });
        expect(await engine.syncNow()).toMatchObject({ settled: 1 });
      } finally {
        again.close();
      }
    });
  },
);

describe('a core that fails with an error of its own (HTTP 500)', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/json', date: new Date().toUTCString() });
        res.end(
          JSON.stringify({
            error: {
              code: 'INTERNAL',
              message:
                'The core failed to handle this request (see its log); whether it was applied is not known.',
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("the CLI says it is the core's failure, exit 1, with no stack trace of its own", async () => {
    const r = await cli(['activate', '--core', url, '--code', 'AAAA-BBBB-CCCC'], newDataDir());
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'CORE_FAILED' } });
    expect((r.json.error as { message: string }).message).toContain(
      'The payment core failed to handle the request',
    );
    expect(r.stderr).not.toContain('    at ');
  });

  it('a payment it answered with an error is in doubt, and says an answer came, not that none did', async () => {
    const dataDir = newDataDir();
    const r = await cli(['pay', '--amount', '1.00', '--code', '281234567890123456'], dataDir, {
      SUANPAN_CORE_URL: url,
    });
    // Not activated: no core is used at all. Activated (a record written by hand): in doubt.
    expect(r.json).toMatchObject({ status: 'accepted_offline' });
    fs.writeFileSync(
      path.join(dataDir, 'activation.json'),
      JSON.stringify({
        coreUrl: url,
        terminalId: JSON.parse(fs.readFileSync(path.join(dataDir, 'terminal.json'), 'utf8')).terminalId,
        merchantId: '00000000-0000-4000-8000-000000000000',
        merchantName: 'Shop',
        activatedAt: new Date().toISOString(),
      }),
    );
    const doubt = await cli(['pay', '--amount', '1.00', '--code', '281234567890123457'], dataDir, {
      SUANPAN_CORE_URL: url,
      SUANPAN_CORE_TIMEOUT_MS: '2000',
    });
    expect(doubt.json).toMatchObject({ status: 'unknown', mode: 'online' });
    expect(doubt.json.reason).toMatch(/^The payment core answered with an error \(HTTP 500: The core failed/);
  });
});
