/**
 * The CLI bundle (bin/cli.vite.config.ts) that bin/suanpan.js runs when it is fresh: built into a
 * temporary folder, it answers as the sources do, its host serves the kiosk page and /healthz (paths
 * relative to modules still resolve), and any change to a source it was built from makes it stale.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE_INPUTS, freshBundle } from '../../bin/bundle-check.js';
import { silentLogger } from '../log.ts';
import { openTerminal } from '../terminal.ts';
import { SOFTWARE_VERSION } from '../version.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
let outDir: string;
let entry: string;

beforeAll(async () => {
  // Inside the checkout, as dist/cli is: the bundle's npm imports resolve from its own place.
  fs.mkdirSync(path.join(REPO, 'dist'), { recursive: true });
  outDir = fs.mkdtempSync(path.join(REPO, 'dist', 'cli-test-'));
  await build({
    configFile: path.join(REPO, 'bin/cli.vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
  });
  const fresh = freshBundle(outDir);
  if (!fresh) throw new Error(`no fresh bundle in ${outDir}`);
  entry = fresh;
}, 120_000);
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

type Ran = { code: number; out: string; err: string };

/** Waits for a child to end, with what it wrote. */
function finished(child: ChildProcess): Promise<Ran> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

function run(args: string[]): Promise<Ran> {
  return finished(
    spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(pathToFileURL(entry).href)});
         process.exitCode = await main(${JSON.stringify(args)}, { stdout: (t) => process.stdout.write(t),
           stderr: (t) => process.stderr.write(t), env: process.env, interactive: false });`,
      ],
      { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
}

/** The same command run from the sources, through tsx, as bin/suanpan.js does without a bundle. */
function runSources(args: string[]): Promise<Ran> {
  return finished(
    spawn(process.execPath, [path.join(REPO, 'bin/suanpan.js'), ...args], {
      cwd: os.tmpdir(),
      env: { ...process.env, SUANPAN_SOURCES: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

describe('the CLI bundle', () => {
  it('lists every source it was built from, and runs as the sources do', async () => {
    const inputs = JSON.parse(fs.readFileSync(path.join(outDir, CLI_BUNDLE_INPUTS), 'utf8'));
    const files = (inputs.files as [string, number, number][]).map(([f]) => f);
    expect(files).toContain('device/cli/main.ts');
    // Lazy commands are chunks of the same bundle, and count as its inputs.
    expect(files).toContain('device/host/host.ts');
    expect(files.every((f) => !f.includes('node_modules'))).toBe(true);

    const version = await run(['--version']);
    expect(version).toMatchObject({ code: 0, out: `${SOFTWARE_VERSION}\n` });
  });

  it('verifies a large journal with the chain walked in two threads, bundled and from the sources', async () => {
    // The worker thread runs walkChain from its source text: as Vite bundled it, and as tsx compiled
    // it. Either failing would only be slower, so the warning on stderr is what tells.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-bundle-verify-'));
    try {
      const terminal = openTerminal({ dataDir, create: true, env: {}, logger: silentLogger() });
      // 100,000 entries, the size from which verify walks the chain in two threads.
      for (let done = 0; done < 50_000; done += 10_000) {
        const captured = terminal.journal.bulk(() =>
          Array.from({ length: 10_000 }, (_, i) => {
            const code = `28${String(done + i).padStart(16, '0')}`;
            return terminal.journal.capture(
              {
                amount: { minor: 100, currency: 'CNY' },
                scheme: 'alipay',
                code,
                codeHash: crypto.createHash('sha256').update(code).digest(),
                codeMasked: 'x',
              },
              () => ({ status: 'accepted_offline', mode: 'offline' }),
            );
          }),
        );
        terminal.journal.transitionMany(
          captured.map((p) => ({ paymentId: p.paymentId, decision: { status: 'settled' } })),
        );
      }
      terminal.close();
      for (const result of [
        await run(['journal', 'verify', '--data-dir', dataDir, '--json']),
        await runSources(['journal', 'verify', '--data-dir', dataDir, '--json']),
      ]) {
        expect(result.err).not.toContain('one thread');
        expect(result.code).toBe(0);
        expect(JSON.parse(result.out)).toMatchObject({ ok: true, entries: 100_000 });
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('starts the host, which serves /healthz and the kiosk page from the source tree', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-bundle-data-'));
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(pathToFileURL(entry).href)});
         process.exitCode = await main(['start', '--data-dir', ${JSON.stringify(dataDir)}, '--port', '0', '--json'],
           { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: {}, interactive: false });`,
      ],
      { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const line = await new Promise<{ healthz: string; url: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const end = out.indexOf('\n');
          if (end >= 0) resolve(JSON.parse(out.slice(0, end)));
        });
        child.on('exit', (code) => reject(new Error(`the bundled host exited with ${code}`)));
      });
      const health = await fetch(line.healthz);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, version: SOFTWARE_VERSION });
      // The renderer is found at ../../ui-kiosk/web/dist from device/host/host.ts, bundled or not.
      const page = await fetch(`${line.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app"');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is stale once a source it was built from changes in size or time, or is gone', () => {
    const copy = fs.mkdtempSync(path.join(REPO, 'dist', 'cli-test-copy-'));
    try {
      fs.cpSync(outDir, copy, { recursive: true });
      const inputsFile = path.join(copy, CLI_BUNDLE_INPUTS);
      const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
      inputs.root = path.relative(copy, REPO);
      const write = (files: unknown) => fs.writeFileSync(inputsFile, JSON.stringify({ ...inputs, files }));
      write(inputs.files);
      expect(freshBundle(copy)).toBe(path.join(copy, 'main.js'));
      const [first, ...rest] = inputs.files as [string, number, number][];
      if (!first) throw new Error('no inputs');
      write([[first[0], first[1], first[2] + 1], ...rest]);
      expect(freshBundle(copy)).toBeNull();
      write([[first[0], first[1] - 1000, first[2]], ...rest]);
      expect(freshBundle(copy)).toBeNull();
      write([['device/no-such-file.ts', first[1], first[2]], ...rest]);
      expect(freshBundle(copy)).toBeNull();
      fs.rmSync(inputsFile);
      expect(freshBundle(copy)).toBeNull();
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
