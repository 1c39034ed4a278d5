/**
 * `suanpan core ...` on PostgreSQL named by DATABASE_URL (or --db), as `core serve` is: the operator
 * commands reach the same database while a server runs on it, and nothing embedded is created.
 * Then a terminal activates with the code they made (`suanpan activate` prints its ids); another
 * merchant's code, or any code once it is revoked, is refused with exit 1 and the reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresDatabase, POSTGRES_SKIP_REASON, postgresAvailable } from '../sync/core/testing.ts';

const pgOk = await postgresAvailable();

describe.skipIf(!pgOk)(`suanpan core on PostgreSQL (${pgOk ? 'running' : POSTGRES_SKIP_REASON})`, () => {
  it('core commands take DATABASE_URL like serve, and work while the server runs on that database', async () => {
    const { url, drop } = await createPostgresDatabase();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-cli-'));
    const coreData = path.join(root, 'core-host');
    const termData = path.join(root, 'terminal');
    const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: process.env.PATH, HOME: root, ...extra });
    const run = (args: string[], dataDir: string, extra: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync(process.execPath, ['bin/suanpan.js', ...args, '--data-dir', dataDir, '--json'], {
        encoding: 'utf8',
        env: env(extra),
      });
      return {
        status: r.status,
        json: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').at(-1) as string) : undefined,
        stderr: r.stderr,
      };
    };
    const proc = spawn(
      process.execPath,
      ['bin/suanpan.js', 'core', 'serve', '--port', '0', '--data-dir', coreData],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: env({ DATABASE_URL: url }),
      },
    );
    try {
      const coreUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        proc.stdout?.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1] as string);
        });
        proc.on('exit', (code) => reject(new Error(`core exited with ${code}: ${out}`)));
      });
      expect(await (await fetch(`${coreUrl}/healthz`)).json()).toMatchObject({ database: 'postgres' });

      const byEnv = { DATABASE_URL: url };
      const merchant = run(['core', 'merchant', 'create', '--name', 'Env Shop'], coreData, byEnv);
      expect(merchant).toMatchObject({ status: 0, json: { merchantId: expect.any(String) } });
      const { merchantId } = merchant.json;
      const activation = run(['core', 'activation', 'create', '--merchant', merchantId], coreData, byEnv);
      expect(activation.json).toEqual({ code: expect.any(String), expiresAt: expect.any(String) });
      const activated = run(['activate', '--core', coreUrl, '--code', activation.json.code], termData);
      expect(activated).toMatchObject({
        status: 0,
        json: { terminalId: expect.stringMatching(/^sp-/), merchantId },
      });
      const { terminalId } = activated.json;
      const activationFile = path.join(termData, 'activation.json');
      const record = fs.readFileSync(activationFile, 'utf8');

      // Another merchant's code doesn't move the terminal: the command says whose it is, exit 1.
      const other = run(['core', 'merchant', 'create', '--name', 'Other Shop'], coreData, byEnv).json
        .merchantId;
      const otherCode = run(['core', 'activation', 'create', '--merchant', other], coreData, byEnv).json.code;
      const moved = run(['activate', '--core', coreUrl, '--code', otherCode], termData);
      expect(moved).toMatchObject({ status: 1, json: { ok: false, error: { code: 'CONFLICT' } } });
      expect(moved.json.error.message).toContain(`belongs to merchant Env Shop (${merchantId})`);
      expect(fs.readFileSync(activationFile, 'utf8')).toBe(record);

      const wallet = run(['core', 'wallet', 'create', '--balance', '12.50'], coreData, byEnv);
      const walletId = wallet.json.walletId;
      expect(run(['core', 'wallet', 'code', '--wallet', walletId], coreData, byEnv).json.code).toMatch(
        /^28\d{16}$/,
      );
      expect(run(['core', 'wallet', 'show', '--wallet', walletId], coreData, byEnv).json).toEqual({
        balance: { minor: 1250, currency: 'CNY' },
      });
      // --db names the same database, and wins over DATABASE_URL.
      const elsewhere = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere' };
      expect(
        run(['core', 'payments', '--terminal', terminalId, '--db', url], coreData, elsewhere),
      ).toMatchObject({
        status: 0,
        json: [],
      });
      expect(run(['core', 'revoke', '--terminal', terminalId], coreData, byEnv)).toMatchObject({ status: 0 });
      // A new code doesn't lift the revocation: said for people on stderr, exit 1, no stack trace.
      const again = run(['core', 'activation', 'create', '--merchant', merchantId], coreData, byEnv).json
        .code;
      const refused = spawnSync(
        process.execPath,
        ['bin/suanpan.js', 'activate', '--core', coreUrl, '--code', again, '--data-dir', termData],
        { encoding: 'utf8', env: env() },
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^suanpan: Terminal sp-\S+ was revoked by the operator .*new key/);
      expect(refused.stderr).not.toContain('    at ');

      // Everything went to PostgreSQL: no embedded database was made beside it.
      expect(fs.existsSync(path.join(coreData, 'core', 'pglite'))).toBe(false);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const m = await c.query('SELECT name FROM merchants WHERE merchant_id = $1', [merchantId]);
        expect(m.rows).toEqual([{ name: 'Env Shop' }]);
        const t = await c.query('SELECT status FROM terminals WHERE terminal_id = $1', [terminalId]);
        expect(t.rows).toEqual([{ status: 'revoked' }]);
      } finally {
        await c.end();
      }
    } finally {
      await new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on('exit', () => resolve());
        proc.kill('SIGTERM');
      });
      await drop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});
