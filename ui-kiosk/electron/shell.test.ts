/**
 * The built shell, run without Electron: dist/main.js (bundled by the real Vite config into a
 * temporary folder) runs in plain Node with testing/fake-electron.ts in place of 'electron', starts
 * the real terminal host on a temporary data folder, and is put through what Electron and a page
 * would do. The built preload runs in a VM context given only what a sandboxed preload gets.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, SHELL_DIR } from './bundling.ts';
import { REPORT_MARK } from './testing/fake-electron.ts';

let outDir: string;
const dataDirs: string[] = [];

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-shell-'));
  // What the bundle finds around it in the checkout and in the app: an ES-module package scope and
  // the dependencies in node_modules.
  fs.writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(outDir, 'node_modules'));
  for (const mode of ['main', 'preload']) {
    await build({
      configFile: path.join(SHELL_DIR, 'vite.config.ts'),
      mode,
      logLevel: 'error',
      build: { outDir, emptyOutDir: false },
    });
  }
});

afterAll(() => {
  for (const dir of [outDir, ...dataDirs]) fs.rmSync(dir, { recursive: true, force: true });
});

interface Report {
  type: string;
  [key: string]: unknown;
}

interface Run {
  code: number | null;
  reports: Report[];
  stderr: string;
  of(type: string): Report[];
  /** The only report of a type, as the shape the fake writes for it. */
  one<T extends object = Report>(type: string): T;
}

/** Runs the built main.js under the fake Electron until it exits. */
function runShell(env: Record<string, string>): Promise<Run> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-kiosk-data-'));
  dataDirs.push(dataDir);
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SUANPAN_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        path.join(SHELL_DIR, 'testing/register-fake-electron.ts'),
        path.join(outDir, 'main.js'),
      ],
      {
        cwd: REPO_ROOT,
        env: { ...cleanEnv, SUANPAN_DATA_DIR: dataDir, SUANPAN_KIOSK_PORT: '0', ...env },
        timeout: 50_000,
      },
      (error, stdout, stderr) => {
        const reports = stdout
          .split('\n')
          .filter((line) => line.startsWith(REPORT_MARK))
          .map((line) => JSON.parse(line.slice(REPORT_MARK.length)) as Report);
        const of = (type: string) => reports.filter((r) => r.type === type);
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          reports,
          stderr,
          of,
          one: <T extends object = Report>(type: string): T => {
            const found = of(type);
            if (found.length !== 1)
              throw new Error(`expected one "${type}" report, got ${found.length}:\n${stdout}\n${stderr}`);
            return found[0] as unknown as T;
          },
        });
      },
    );
  });
}

describe('the kiosk shell under a stand-in Electron, with the real host', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runShell({});
  });

  test('runs to a clean exit', () => {
    expect(run.of('fault'), run.stderr).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
  });

  test('takes the single-instance lock, appends its switches and enables the sandbox before ready', () => {
    const order = run.reports.map((r) => r.type);
    expect(run.one('singleInstanceLock').obtained).toBe(true);
    expect(run.of('switch').map((r) => r.name)).toEqual([
      'disable-pinch',
      'overscroll-history-navigation',
      'no-proxy-server',
      'password-store',
    ]);
    expect(order.indexOf('enableSandbox')).toBeLessThan(order.indexOf('window'));
  });

  test('opens one window with the options of settings.ts and the built preload', () => {
    const { options } = run.one<{ options: { webPreferences: Record<string, unknown> } }>('window');
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      devTools: true,
      preload: path.join(SHELL_DIR, 'dist/preload.cjs'),
    });
  });

  test('loads the host page without the token, and shows the window when painted', () => {
    const [first] = run.of('loadURL');
    expect(first?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(run.of('show').length).toBeGreaterThanOrEqual(1);
  });

  test("hands the token to the kiosk page's preload only, and the host accepts it", () => {
    const bridge = run.one<{ kiosk: { token: string; apiOrigin: string }; other: unknown }>('bridge');
    expect(bridge.kiosk.token).toMatch(/^\S{16,}$/);
    expect(`${bridge.kiosk.apiOrigin}/`).toBe(run.of('loadURL')[0]?.url);
    expect(bridge.other).toBeNull();
    expect(run.one('host')).toMatchObject({ healthz: 200, status: 200, statusWithoutToken: 401 });
  });

  test('refuses what a hostile page would try', () => {
    const hostile = run.one<
      Record<string, unknown> & {
        navigation: { url: string; prevented: boolean }[];
      }
    >('hostile');
    const prevented = Object.fromEntries(
      hostile.navigation.map((n) => [n.url.replace(/:\d+\//, ':PORT/'), n.prevented]),
    );
    expect(prevented).toEqual({
      'https://evil.example/': true,
      'http://127.0.0.1:PORT/somewhere': false,
      'http://127.0.0.1:PORT/': true, // the redirect to port 1
      'file:///etc/passwd': true,
      'http://127.0.0.1:PORT/frame': false,
    });
    expect(hostile).toMatchObject({
      windowOpen: { action: 'deny' },
      webviewPrevented: true,
      downloadPrevented: true,
      permissionRequest: false,
      permissionCheck: false,
      devicePermission: false,
      requestFilter: { urls: ['<all_urls>'] },
    });
    const cancelled = Object.entries(hostile.cancelled as Record<string, boolean>).map(([url, c]) => [
      url.replace(/:\d+\//, ':PORT/'),
      c,
    ]);
    expect(Object.fromEntries(cancelled)).toEqual({
      'https://evil.example/x': true,
      'http://127.0.0.1:PORT/api/status': false,
      'ws://127.0.0.1:PORT/': true,
    });
  });

  test('reloads the page after the renderer is gone', () => {
    expect(run.one('reloaded').url).toBe(run.of('loadURL')[0]?.url);
  });

  test('a second start brings the window to the front', () => {
    expect(run.of('focus').length).toBe(1);
  });

  test('holds the quit until the host has closed', () => {
    expect(run.of('beforeQuit').map((r) => r.prevented)).toEqual([true, false]);
    expect(run.one('hostAfterQuit').reachable).toBe(false);
    expect(run.one('exit').code).toBe(0);
  });
});

describe('the kiosk shell, other starts', () => {
  test('a production build has no application menu (no reload, zoom or devtools keys) and no devtools', async () => {
    const run = await runShell({ FAKE_ELECTRON_PACKAGED: '1' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.one('applicationMenu').menu).toBeNull();
    const { options } = run.one<{ options: { webPreferences: { devTools: boolean } } }>('window');
    expect(options.webPreferences.devTools).toBe(false);
  });

  test('a second instance quits at once, without starting a host or a window', async () => {
    const run = await runShell({ FAKE_ELECTRON_LOCK: 'taken' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.one('singleInstanceLock').obtained).toBe(false);
    expect(run.of('window')).toEqual([]);
    expect(run.of('switch')).toEqual([]);
  });

  test('a host that cannot start is said on screen, and the process exits 1', async () => {
    const run = await runShell({ SUANPAN_KIOSK_PORT: 'not-a-port' });
    expect(run.code).toBe(1);
    const box = run.one('errorBox');
    expect(box.content).toMatch(/终端无法启动/);
    expect(box.content).toMatch(/SUANPAN_KIOSK_PORT/);
    expect(run.of('window')).toEqual([]);
  });
});

describe('the built preload, in a sandbox-like context', () => {
  const origin = 'http://127.0.0.1:7420';

  function runPreload(answer: unknown) {
    const required: string[] = [];
    const exposed: Record<string, unknown> = {};
    const electron = {
      ipcRenderer: {
        sendSync: (channel: string) => (channel === 'suanpan:bridge' ? answer : undefined),
      },
      contextBridge: {
        exposeInMainWorld: (key: string, value: unknown) => {
          exposed[key] = value;
        },
      },
    };
    const module = { exports: {} };
    // A sandboxed preload's require knows 'electron' (and a few polyfills), nothing from disk.
    const sandboxRequire = (id: string) => {
      required.push(id);
      if (id === 'electron') return electron;
      throw new Error(`module not found: ${id}`);
    };
    vm.runInNewContext(fs.readFileSync(path.join(outDir, 'preload.cjs'), 'utf8'), {
      require: sandboxRequire,
      module,
      exports: module.exports,
      URL,
    });
    return { required, exposed };
  }

  test('exposes window.suanpan with the token and the API origin, nothing else', () => {
    const { required, exposed } = runPreload({ token: 'tok-123', apiOrigin: origin, extra: 'no' });
    expect(required).toEqual(['electron']);
    expect(exposed).toEqual({ suanpan: { token: 'tok-123', apiOrigin: origin } });
    const bridge = exposed.suanpan as Record<string, unknown>;
    expect(Object.values(bridge).every((v) => typeof v === 'string')).toBe(true);
  });

  test('exposes nothing when the main process refuses or answers something odd', () => {
    for (const answer of [null, undefined, { token: 't', apiOrigin: 'https://evil.example' }, 'tok']) {
      expect(runPreload(answer).exposed).toEqual({});
    }
  });
});
