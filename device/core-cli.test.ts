/**
 * `suanpan core ...` on PostgreSQL named by DATABASE_URL (or --db), as `core serve` is: the operator
 * commands reach the same database while a server runs on it, and nothing embedded is created.
 * Then a terminal activates with the code they made (`suanpan activate` prints its ids); another
 * merchant's code, or any code once it is revoked, is refused with exit 1 and the reason.
 * `core terminals` lists the terminals, on PGlite while `core serve` holds it too: one whose journal
 * was put back from a copy is flagged, with what that means and what to do; a refusal through that
 * server keeps its code (NOT_FOUND). The operator commands reach a server on another --host, and say
 * so when the server serve.json records no longer answers.
 * And `core serve`'s start-up failures, said for people: a port in use (exit 1), a --host that is not
 * this machine's, a --db or DATABASE_URL that is not a PostgreSQL URL (exit 2).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresDatabase, POSTGRES_SKIP_REASON, postgresAvailable } from '../sync/core/testing.ts';
import { openCoreAdmin } from './core-host.ts';
import { silentLogger } from './log.ts';
import { serveCoreProcess } from './testing/core-process.ts';

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
    const core = await serveCoreProcess({ dataDir: coreData, env: env({ DATABASE_URL: url }) });
    const coreUrl = core.url;
    try {
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
      // The operator sees it, read from PostgreSQL while the server runs on it.
      expect(run(['core', 'terminals'], coreData, byEnv)).toMatchObject({
        status: 0,
        json: [{ terminalId, merchantId, merchantName: 'Env Shop', status: 'active', integrityAlert: null }],
      });
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
      const revoked = run(['core', 'terminals', '--terminal', terminalId], coreData, byEnv);
      expect(revoked).toMatchObject({ status: 0, json: [{ terminalId, status: 'revoked' }] });
      expect(revoked.json[0].revokedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
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

      // The core refuses this terminal for good: its sync says so, and from then on it takes no
      // payment offline (none could be forwarded), even with the core out of reach.
      expect(run(['sync'], termData)).toMatchObject({
        status: 1,
        json: { ok: false, error: { code: 'TERMINAL_REVOKED' } },
      });
      const offline = run(['pay', '--amount', '1.00', '--code', '289999999999999990'], termData, {
        SUANPAN_CORE_URL: 'http://127.0.0.1:1',
      });
      expect(offline).toMatchObject({ status: 1, json: { status: 'declined', mode: 'offline' } });
      expect(offline.json.reason).toContain('The payment core has revoked this terminal');
      expect(run(['queue'], termData).json.remaining).toMatchObject({
        nextPaymentMax: { minor: 0 },
        forwardingBlocked: 'TERMINAL_REVOKED',
      });

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
      await core.stop();
      await drop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('suanpan core terminals, while core serve runs on the embedded PGlite database', () => {
  it('lists each terminal; one whose journal was restored from a copy carries an INTEGRITY ALERT saying what to do', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-terminals-'));
    const coreData = path.join(root, 'core-host');
    const termData = path.join(root, 'terminal');
    const suanpan = (args: string[], dataDir: string) => {
      const r = spawnSync(process.execPath, ['bin/suanpan.js', ...args, '--data-dir', dataDir], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: root },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const run = (args: string[], dataDir: string) => {
      const r = suanpan([...args, '--json'], dataDir);
      return {
        ...r,
        json: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').at(-1) as string) : undefined,
      };
    };
    // The server holds the embedded database: the operator commands go through its admin route.
    const core = await serveCoreProcess({ dataDir: coreData, env: { PATH: process.env.PATH, HOME: root } });
    const coreUrl = core.url;
    try {
      expect(run(['core', 'terminals'], coreData)).toMatchObject({ status: 0, json: [] });
      const merchantId = run(['core', 'merchant', 'create', '--name', 'Noodle Bar'], coreData).json
        .merchantId;
      const code = run(['core', 'activation', 'create', '--merchant', merchantId], coreData).json.code;
      const terminalId = run(['activate', '--core', coreUrl, '--code', code], termData).json.terminalId;
      expect(run(['core', 'terminals'], coreData)).toMatchObject({
        status: 0,
        json: [
          {
            terminalId,
            merchantId,
            merchantName: 'Noodle Bar',
            status: 'active',
            revokedAt: null,
            softwareVersion: expect.any(String),
            anchor: null,
            integrityAlert: null,
          },
        ],
      });

      // A copy of the journal is taken; then a payment and a sync anchor a later head at the core.
      const backup = path.join(root, 'journal-copy.sqlite');
      fs.copyFileSync(path.join(termData, 'journal.sqlite'), backup);
      const walletId = run(['core', 'wallet', 'create', '--balance', '100.00'], coreData).json.walletId;
      // The server's refusal is passed on as the command gives it on the database itself.
      const noWallet = '00000000-0000-4000-8000-000000000000';
      expect(run(['core', 'wallet', 'show', '--wallet', noWallet], coreData)).toMatchObject({
        status: 1,
        json: { ok: false, error: { code: 'NOT_FOUND', message: `No wallet ${noWallet}.` } },
      });
      const payCode = run(['core', 'wallet', 'code', '--wallet', walletId], coreData).json.code;
      expect(run(['pay', '--amount', '1.00', '--code', payCode], termData).json).toMatchObject({
        status: 'approved',
      });
      expect(run(['sync'], termData)).toMatchObject({ status: 0 });
      const [synced] = run(['core', 'terminals', '--terminal', terminalId], coreData).json;
      expect(synced).toMatchObject({
        terminalId,
        queueDepth: 0,
        highestContiguousSeq: 1,
        anchor: { entrySeq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        integrityAlert: null,
      });
      expect(synced.lastSeenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      const head = synced.anchor.entrySeq;

      // The copy is put back: the core refuses the next sync and flags the terminal.
      // No write-ahead log was left beside it (each command closes the journal), so the file is all of it.
      expect(fs.existsSync(path.join(termData, 'journal.sqlite-wal'))).toBe(false);
      fs.copyFileSync(backup, path.join(termData, 'journal.sqlite'));
      expect(run(['sync'], termData)).toMatchObject({
        status: 1,
        json: { error: { code: 'JOURNAL_DIVERGED' } },
      });
      const [flagged] = run(['core', 'terminals'], coreData).json;
      expect(flagged.integrityAlert).toContain(`no longer has anchored entry ${head}`);
      expect(flagged.anchor.entrySeq).toBe(head);
      const text = suanpan(['core', 'terminals'], coreData);
      expect(text.status).toBe(0);
      const lines = text.stdout.split('\n');
      expect(lines[0]).toMatch(
        /^terminal +merchant +status +version +last seen +queue +held to seq +anchored head +alert$/,
      );
      expect(lines[1]).toMatch(
        new RegExp(
          `^${terminalId} +Noodle Bar \\(${merchantId}\\) +active .* 1 +${head} \\([0-9a-f]{12}\\) +INTEGRITY$`,
        ),
      );
      expect(text.stdout).toContain(`INTEGRITY ALERT ${terminalId}: ${flagged.integrityAlert}\n`);
      expect(text.stdout).toContain('Its journal is not the one this core knew');
      expect(text.stdout).toContain('Keep its data folder as it is');
      expect(text.stdout).toContain(
        `revoked with \`suanpan core revoke --terminal ${terminalId}\` and set up anew`,
      );

      // Revoked, it stays flagged; the advice is to set it up anew.
      expect(run(['core', 'revoke', '--terminal', terminalId], coreData)).toMatchObject({ status: 0 });
      const after = suanpan(['core', 'terminals', '--terminal', terminalId], coreData);
      expect(after.stdout).toMatch(new RegExp(`^${terminalId} .* revoked \\d{4}-\\d\\d-\\d\\dT\\S+Z `, 'm'));
      expect(after.stdout).toContain(
        'It is revoked already: set it up anew, in a new data folder with a new key.',
      );

      // An id the core doesn't know: exit 1 naming it; one that is no terminal id: exit 2.
      const unknown = suanpan(['core', 'terminals', '--terminal', 'sp-0000000000000000'], coreData);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/^suanpan: No terminal sp-0000000000000000 at this core: /);
      expect(run(['core', 'terminals', '--terminal', 'sp-0000000000000000'], coreData).json).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      const malformed = suanpan(['core', 'terminals', '--terminal', 'till-1'], coreData);
      expect(malformed.status).toBe(2);
      expect(malformed.stderr).toBe(
        'suanpan: Invalid --terminal "till-1": a terminal id is sp- and 16 hex digits.\n',
      );
    } finally {
      await core.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 300_000); // about 20 processes and a PGlite core: minutes on a loaded 2-core machine
});

/** An IPv4 address of one of this machine's interfaces (not loopback), if it has one. */
function interfaceAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  return undefined;
}

describe('suanpan core serve --host other than 127.0.0.1, on the embedded database', () => {
  // Operator routes answer only on loopback: the commands must reach the server there, whatever
  // --host it listens on. An interface's address is the case that failed; it is tried where the
  // machine has one (127.0.0.2, a loopback alias, takes no connection to 127.0.0.1 either).
  const hosts = ['127.0.0.2', ...[interfaceAddress()].filter((a) => a !== undefined)];
  it.each(hosts)(
    '--host %s: the operator commands reach it on loopback',
    async (host) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-host-'));
      const coreData = path.join(root, 'core-host');
      const env = { PATH: process.env.PATH, HOME: root };
      const core = await serveCoreProcess({ dataDir: coreData, host, env });
      try {
        expect(core.url).toMatch(new RegExp(`^http://${host.replaceAll('.', '\\.')}:\\d+$`));
        const serving = JSON.parse(fs.readFileSync(path.join(coreData, 'core', 'serve.json'), 'utf8'));
        expect(serving.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const r = spawnSync(
          process.execPath,
          [
            'bin/suanpan.js',
            'core',
            'merchant',
            'create',
            '--name',
            'Far Shop',
            '--data-dir',
            coreData,
            '--json',
          ],
          { encoding: 'utf8', env },
        );
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({ merchantId: expect.any(String) });
      } finally {
        await core.stop();
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('suanpan core ..., the core recorded in serve.json gone', () => {
  it('its process id now another program: exit 1 saying the recorded core does not answer and which files to remove; files that name another process are known stale', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-stale-'));
    const coreData = path.join(root, 'core-host');
    // Left by a core that died; its process id is now this test's, alive and no core.
    const dir = path.join(coreData, 'core');
    fs.mkdirSync(dir, { recursive: true });
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const serveFile = path.join(dir, 'serve.json');
    const lockFile = path.join(dir, 'pglite.lock');
    fs.writeFileSync(serveFile, JSON.stringify({ pid: process.pid, url, adminUrl: url, adminToken: 'x' }));
    fs.writeFileSync(lockFile, String(process.pid));
    const suanpan = (args: string[]) =>
      spawnSync(
        process.execPath,
        ['bin/suanpan.js', 'core', 'merchant', 'create', '--name', 'Shop', '--data-dir', coreData, ...args],
        { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: root } },
      );
    try {
      const r = suanpan([]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `suanpan: A core server is recorded at ${url} (process ${process.pid}, in ${serveFile}) but doesn't answer (ECONNREFUSED). If that core is running, check it and try again. If it isn't (it stopped without cleaning up, and process ${process.pid} is another program now), remove ${serveFile} and ${lockFile}: then this command opens the database itself, and \`suanpan core serve\` can start the core again.\n`,
      );
      const json = suanpan(['--json']);
      expect(json.status).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'CORE_NOT_ANSWERING' } });
      // Files that recorded who wrote them (boot and start time), and the process with that pid
      // now is another: theirs died. The command opens the database itself (it said CORE_BUSY:
      // stop process N, an unrelated one).
      const gone = 'another-boot/12345';
      fs.writeFileSync(
        serveFile,
        JSON.stringify({ pid: process.pid, identity: gone, url, adminUrl: url, adminToken: 'x' }),
      );
      fs.writeFileSync(lockFile, `${process.pid} ${gone}`);
      expect(suanpan(['--json']).status).toBe(0);
      // As it says: with both files removed, the command opens the database itself.
      fs.rmSync(serveFile, { force: true });
      fs.rmSync(lockFile, { force: true });
      expect(suanpan(['--json']).status).toBe(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('core operator commands, the recorded core taking the connection but never answering', () => {
  it('give up after their time limit with CORE_NOT_ANSWERING, instead of waiting for ever', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-hung-'));
    const sockets: net.Socket[] = [];
    const hung = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
      fs.writeFileSync(
        path.join(root, 'serve.json'),
        JSON.stringify({ pid: process.pid, url, adminUrl: url, adminToken: 'x' }),
      );
      const admin = await openCoreAdmin({ dataDir: root }, silentLogger(), { timeoutMs: 300 });
      await expect(admin.payments({})).rejects.toMatchObject({
        code: 'CORE_NOT_ANSWERING',
        message: expect.stringContaining('no answer in 0.3 s'),
      });
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('suanpan core serve, refused at start-up', () => {
  const suanpan = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-start-'));
    const dataDir = path.join(root, 'core-host');
    try {
      const r = spawnSync(process.execPath, ['bin/suanpan.js', ...args, '--data-dir', dataDir], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: root, ...extra },
        timeout: 60_000,
      });
      return { status: r.status, stderr: r.stderr, stdout: r.stdout, made: fs.existsSync(dataDir) };
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };

  it('a port in use: exit 1 naming host:port and what to do, no stack trace', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const r = suanpan(['core', 'serve', '--port', String(port)]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `suanpan: Cannot listen on 127.0.0.1:${port}: another process (perhaps another core) already uses that port. Stop it, or choose another port with --port.\n`,
      );
      const json = suanpan(['core', 'serve', '--port', String(port), '--json']);
      expect(json.status).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'CORE_PORT_IN_USE' } });
      expect(json.stderr).toBe('');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 120_000);

  it('a --host that is no address of this machine: exit 2 naming it', () => {
    // 999.1.1.1 is no address at all (getaddrinfo: ENOTFOUND); 192.0.2.1 is TEST-NET-1 (RFC 5737),
    // assigned to no machine (listen: EADDRNOTAVAIL).
    for (const [host, why] of [
      ['999.1.1.1', 'no address has that name (ENOTFOUND)'],
      ['192.0.2.1', 'it is not an address of this machine (EADDRNOTAVAIL)'],
    ]) {
      const r = suanpan(['core', 'serve', '--host', host as string, '--port', '0']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^suanpan: Invalid --host /);
      expect(r.stderr).toContain(`Invalid --host "${host}": ${why}. Use an address of one of`);
      expect(r.stderr).not.toContain('    at ');
    }
  }, 120_000);

  it('a --db or DATABASE_URL that is not a PostgreSQL URL: exit 2 naming it, the password masked', () => {
    const notaurl = suanpan(['core', 'serve', '--db', 'notaurl']);
    expect(notaurl).toMatchObject({ status: 2, made: false });
    expect(notaurl.stderr).toBe(
      `suanpan: Invalid --db "notaurl": the core's database is a PostgreSQL URL, postgres://user:password@host:5432/database (or postgresql://...). Leave --db and DATABASE_URL unset for the embedded database in the data folder.\n`,
    );
    for (const db of ['mysql://root:s3cret@db.example/shop', 'root:s3cret@db.example/shop', '']) {
      const r = suanpan(['core', 'serve', '--db', db]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`Invalid --db "${db.replace('s3cret', '***')}"`);
      expect(r.stderr).not.toContain('s3cret');
    }
    const byEnv = suanpan(['core', 'merchant', 'create', '--name', 'Shop'], { DATABASE_URL: 'notaurl' });
    expect(byEnv.status).toBe(2);
    expect(byEnv.stderr).toMatch(/^suanpan: Invalid DATABASE_URL "notaurl": .*postgres:\/\//);
  }, 120_000);
});

describe('core operator commands, the embedded database held by a core that is starting', () => {
  it('wait for it to let go (or to serve), rather than say stop it; and say so when it never does', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-core-starting-'));
    const dir = path.join(root, 'core');
    fs.mkdirSync(dir, { recursive: true });
    const lockFile = path.join(dir, 'pglite.lock');
    // Held by a live process (this one) that has not written serve.json: a core still starting.
    fs.writeFileSync(lockFile, String(process.pid));
    try {
      const location = { dataDir: dir };
      const refused = await openCoreAdmin(location, silentLogger(), { busyWaitMs: 1_000 }).catch((e) => e);
      expect(refused).toMatchObject({ code: 'CORE_BUSY' });
      expect(refused.message).toContain(
        `in use by process ${process.pid}, and has not started serving it in 1 s`,
      );
      // It lets go a moment later: the command goes on and does its work.
      setTimeout(() => fs.rmSync(lockFile, { force: true }), 1_000);
      const admin = await openCoreAdmin(location, silentLogger(), { busyWaitMs: 10_000 });
      try {
        expect((await admin.createMerchant('Noodle Bar')).merchantId).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await admin.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
