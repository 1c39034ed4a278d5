/**
 * `suanpan start` as a real process through bin/suanpan.js: it prints the kiosk URL with the token in
 * its fragment, serves the API with that token, and stops cleanly on SIGINT and SIGTERM (exit 0: it
 * exits by itself once the host is closed, so nothing it started is left running).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from './test-client.ts';

let dataDir: string;
let child: ChildProcessWithoutNullStreams | undefined;

const env = () => ({ PATH: process.env.PATH, HOME: os.tmpdir() });

function startChild(args: string[]) {
  const proc = spawn(process.execPath, ['bin/suanpan.js', 'start', '--data-dir', dataDir, ...args], {
    env: env(),
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => {
    stdout += c;
  });
  proc.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const kioskUrl = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', () => {
      const m = /^Kiosk: (\S+)$/m.exec(stdout);
      if (m) resolve(m[1] as string);
    });
    void exited.then(() => reject(new Error(`suanpan start exited: ${stdout}${stderr}`)));
  });
  return { proc, kioskUrl, exited, output: () => ({ stdout, stderr }) };
}

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-start-'));
});
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('suanpan start', () => {
  it('prints the kiosk URL, answers /healthz and the API with its token, and stops on SIGINT with exit 0', async () => {
    const run = startChild(['--port', '0']);
    const kiosk = new URL(await run.kioskUrl);
    expect(kiosk.hostname).toBe('127.0.0.1');
    expect(kiosk.pathname).toBe('/');
    const token = /^#token=([A-Za-z0-9_-]{43})$/.exec(kiosk.hash)?.[1] as string;
    expect(token).toBeDefined();
    const origin = kiosk.origin;
    expect(run.output().stdout).toContain(`Health: ${origin}/healthz`);

    const health = await request(`${origin}/healthz`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, terminalId: expect.stringMatching(/^sp-/) });
    expect((await request(`${origin}/api/status`)).status).toBe(401);
    const status = await request(`${origin}/api/status`, { token });
    expect(status.status).toBe(200);
    expect(status.json.terminal.terminalId).toBe(health.json.terminalId);

    run.proc.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output().stdout).toContain('Host stopped.');
    // The token is for the kiosk only: it is not written to the log.
    const log = fs.readFileSync(path.join(dataDir, 'logs', 'suanpan.log'), 'utf8');
    expect(log).toContain('kiosk API listening');
    expect(log).not.toContain(token);
  });

  it('stops on SIGTERM too, and a second host on the same port is refused with exit 1', async () => {
    const first = startChild(['--port', '0']);
    const port = new URL(await first.kioskUrl).port;
    const second = spawnSync(
      process.execPath,
      ['bin/suanpan.js', 'start', '--data-dir', path.join(dataDir, 'second'), '--port', port],
      { encoding: 'utf8', env: env() },
    );
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`Port ${port} on 127.0.0.1 is taken`);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a bad --port with exit 2', () => {
    for (const port of ['abc', '70000']) {
      const r = spawnSync(
        process.execPath,
        ['bin/suanpan.js', 'start', '--data-dir', dataDir, '--port', port],
        {
          encoding: 'utf8',
          env: env(),
        },
      );
      expect(r.status, port).toBe(2);
      expect(r.stderr).toContain('--port');
    }
  });
});
