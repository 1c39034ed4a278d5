/**
 * The kiosk shell, Electron's main process: starts the terminal host in this process, opens one
 * kiosk window on it, and holds that window to the rules of settings.ts. It decides nothing itself:
 * every option and every yes/no comes from settings.ts, where a unit test checks it (no Electron
 * binary runs in CI). Built into dist/main.js by `npm run build:electron`; see bundling.ts.
 *
 * Lifecycle: one instance (a second one focuses the first and quits); the host starts after
 * `ready`; the window is shown once painted; a renderer that crashes or hangs is reloaded with a
 * backoff; quitting closes the host (journal, sockets, devices) before the process ends.
 */
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  type Event,
  type IpcMainEvent,
  ipcMain,
  Menu,
  type Session,
  session,
  type WebContents,
} from 'electron';
import { resolveDataDir } from '../../device/data-dir.ts';
import { type RunningHost, startHost } from '../../device/host/host.ts';
import {
  BRIDGE_CHANNEL,
  CRASH_WINDOW_MS,
  KIOSK_SWITCHES,
  type KioskBridge,
  kioskPageUrl,
  kioskWindowOptions,
  reloadDelayMs,
  type SecurityPolicy,
  securityPolicy,
} from './settings.ts';

/** How long quitting waits for the host to close (checkout let finish, journal closed) before exiting. */
const HOST_CLOSE_TIMEOUT_MS = 10_000;
/** A renderer unresponsive for this long is killed, then reloaded like a crashed one. */
const UNRESPONSIVE_GRACE_MS = 15_000;
/** Chromium's net::ERR_ABORTED: a load superseded by another, not a failure. */
const ERR_ABORTED = -3;

// `import.meta.url` is this file's place in the source tree even inside the bundle (bundling.ts),
// so these paths are the same in the checkout and inside app.asar.
const PRELOAD_PATH = fileURLToPath(new URL('./dist/preload.cjs', import.meta.url));
const WEB_ROOT = fileURLToPath(new URL('../web/dist', import.meta.url));

interface ShellLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Until the host is up (and its logger with it): stderr, which the session's journal keeps. */
const consoleLog: ShellLog = {
  info: (fields, message) => console.info(`suanpan kiosk: ${message}`, fields),
  warn: (fields, message) => console.warn(`suanpan kiosk: ${message}`, fields),
  error: (fields, message) => console.error(`suanpan kiosk: ${message}`, fields),
};

/** Where a refused URL was going, without its path or query (which could carry the token). */
function originOf(url: string): string {
  try {
    const { protocol, host } = new URL(url);
    return host ? `${protocol}//${host}` : protocol;
  } catch {
    return '(not a URL)';
  }
}

class KioskShell {
  private readonly production = app.isPackaged;
  private log: ShellLog = consoleLog;
  private host: RunningHost | undefined;
  private starting: Promise<RunningHost | undefined> = Promise.resolve(undefined);
  private policy: SecurityPolicy | undefined;
  private window: BrowserWindow | undefined;
  private readonly hardened = new WeakSet<Session>();
  private readonly crashes: number[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private hangTimer: NodeJS.Timeout | undefined;
  private quitting = false;
  private closing: Promise<void> | undefined;
  private closed = false;

  /** Everything that must happen before `ready`: switches, sandbox, app-wide hooks. */
  install(): void {
    for (const { name, value } of KIOSK_SWITCHES) {
      if (value === undefined) app.commandLine.appendSwitch(name);
      else app.commandLine.appendSwitch(name, value);
    }
    app.enableSandbox();
    app.on('second-instance', () => this.focus());
    app.on('web-contents-created', (_event, contents) => this.guard(contents));
    app.on('window-all-closed', () => app.quit());
    app.on('before-quit', (event) => this.beforeQuit(event));
    ipcMain.on(BRIDGE_CHANNEL, (event) => this.answerBridge(event));
    // Electron turns these into app.quit() on Linux already; said again so a systemd stop always
    // goes through before-quit and closes the journal.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());
    app
      .whenReady()
      .then(() => this.open())
      .catch((err: unknown) => this.fail(err));
  }

  private async open(): Promise<void> {
    if (this.production) Menu.setApplicationMenu(null); // no reload, zoom or devtools accelerators
    this.hardenSession(session.defaultSession);
    // The same data folder as the `suanpan` command (--data-dir aside), so `suanpan queue` or
    // `suanpan sync` run by a technician on this terminal see the kiosk's journal.
    const dataDir = resolveDataDir(undefined, process.env);
    this.starting = startHost({ dataDir, env: process.env, webRoot: WEB_ROOT });
    const host = await this.starting;
    if (!host) return;
    this.host = host;
    this.log = host.terminal.log.child({ module: 'kiosk' });
    this.policy = securityPolicy(host.url);
    if (this.quitting) return;

    const window = new BrowserWindow(
      kioskWindowOptions({ production: this.production, preloadPath: PRELOAD_PATH }),
    );
    this.window = window;
    window.once('ready-to-show', () => window.show());
    this.watchRenderer(window);
    this.log.info({ origin: this.policy.hostOrigin, production: this.production }, 'kiosk window opening');
    this.load();
  }

  private load(): void {
    const { window, host } = this;
    if (!window || window.isDestroyed() || !host || this.quitting) return;
    // A failed load is handled by 'did-fail-load' below; the promise only repeats it.
    window.loadURL(kioskPageUrl(host.url)).catch(() => {});
  }

  /** Reloads after a crash, a hang or a failed load, waiting longer as failures pile up. */
  private scheduleReload(why: object): void {
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - (this.crashes[0] as number) >= CRASH_WINDOW_MS)
      this.crashes.shift();
    const delayMs = reloadDelayMs(this.crashes, now);
    this.log.warn({ ...why, delayMs, recentFailures: this.crashes.length }, 'kiosk page lost; reloading');
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.load(), delayMs);
  }

  private watchRenderer(window: BrowserWindow): void {
    const contents = window.webContents;
    contents.on('render-process-gone', (_event, details) => {
      if (this.quitting || window.isDestroyed()) return;
      this.scheduleReload({ reason: details.reason, exitCode: details.exitCode });
    });
    contents.on('did-fail-load', (_event, errorCode, errorDescription, _url, isMainFrame) => {
      if (!isMainFrame || errorCode === ERR_ABORTED || this.quitting) return;
      // Show Chromium's error page rather than nothing while the retries run.
      if (!window.isVisible()) window.show();
      this.scheduleReload({ errorCode, errorDescription });
    });
    window.on('unresponsive', () => {
      this.hangTimer ??= setTimeout(() => {
        this.hangTimer = undefined;
        if (window.isDestroyed()) return;
        this.log.warn({ graceMs: UNRESPONSIVE_GRACE_MS }, 'kiosk page unresponsive; restarting its renderer');
        contents.forcefullyCrashRenderer(); // 'render-process-gone' follows, and reloads
      }, UNRESPONSIVE_GRACE_MS);
    });
    window.on('responsive', () => {
      clearTimeout(this.hangTimer);
      this.hangTimer = undefined;
    });
  }

  /** Applied to every webContents Electron creates, the kiosk window's included. */
  private guard(contents: WebContents): void {
    const refuse = (event: { preventDefault(): void }, url: string, what: string) => {
      if (this.policy?.allowNavigation(url)) return;
      event.preventDefault();
      this.log.warn({ to: originOf(url) }, `${what} refused`);
    };
    contents.on('will-navigate', (event) => refuse(event, event.url, 'navigation'));
    contents.on('will-frame-navigate', (event) => refuse(event, event.url, 'frame navigation'));
    contents.on('will-redirect', (event) => refuse(event, event.url, 'redirect'));
    contents.setWindowOpenHandler(({ url }) => {
      this.log.warn({ to: originOf(url) }, 'new window refused');
      return { action: 'deny' };
    });
    contents.on('will-attach-webview', (event) => {
      event.preventDefault();
      this.log.warn({}, 'webview refused');
    });
    this.hardenSession(contents.session);
  }

  private hardenSession(ses: Session): void {
    if (this.hardened.has(ses)) return;
    this.hardened.add(ses);
    const allowed = (permission: string) => this.policy?.allowPermission(permission) ?? false;
    ses.setPermissionRequestHandler((_contents, permission, callback) => {
      const answer = allowed(permission);
      if (!answer) this.log.warn({ permission }, 'permission request refused');
      callback(answer);
    });
    ses.setPermissionCheckHandler((_contents, permission) => allowed(permission));
    ses.setDevicePermissionHandler(() => this.policy?.allowDevice() ?? false);
    ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
      const allowed = this.policy?.allowRequest(details.url) ?? false;
      if (!allowed) this.log.warn({ to: originOf(details.url) }, 'request refused');
      callback({ cancel: !allowed });
    });
    ses.on('will-download', (event) => {
      event.preventDefault();
      this.log.warn({}, 'download refused');
    });
  }

  /**
   * The preload's one question. Only the kiosk window's webContents gets an answer: page scripts
   * cannot reach ipcRenderer (context isolation, sandbox), the preload runs in the main frame only
   * (nodeIntegrationInSubFrames off), and that frame can only be on the host's origin. The frame's
   * URL is not checked: during a preload it may still be the previous page's
   * (https://github.com/electron/electron/issues/33575).
   */
  private answerBridge(event: IpcMainEvent): void {
    const { window, host, policy } = this;
    const fromKiosk = window !== undefined && !window.isDestroyed() && event.sender === window.webContents;
    const bridge: KioskBridge | null =
      fromKiosk && host && policy ? { token: host.token, apiOrigin: policy.hostOrigin } : null;
    if (!bridge) this.log.warn({}, 'token asked for by something other than the kiosk page; refused');
    event.returnValue = bridge;
  }

  private focus(): void {
    const { window } = this;
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /** Holds the quit until the host has closed (or {@link HOST_CLOSE_TIMEOUT_MS} has passed). */
  private beforeQuit(event: Event): void {
    this.quitting = true;
    clearTimeout(this.reloadTimer);
    clearTimeout(this.hangTimer);
    if (this.closed) return;
    event.preventDefault();
    this.closing ??= this.closeHost().finally(() => {
      this.closed = true;
      app.quit();
    });
  }

  private async closeHost(): Promise<void> {
    // A quit during start-up waits for the host to finish starting, then closes it.
    const host = await this.starting.catch(() => undefined);
    if (!host) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), HOST_CLOSE_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([host.close().then(() => 'closed' as const), timeout]);
      if (outcome === 'timeout')
        this.log.error({ timeoutMs: HOST_CLOSE_TIMEOUT_MS }, 'host did not close; quitting');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'host failed to close; quitting');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The host could not start (journal refused, port taken...): say so on screen, then exit. */
  private fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.log.error({ err: message }, 'kiosk could not start');
    dialog.showErrorBox(
      '算盘 Suanpan',
      `终端无法启动，请联系技术人员。\nThe terminal could not start; call a technician.\n\n${message}`,
    );
    // Exit code 1: the service manager restarts the kiosk, or shows it failed.
    app.exit(1);
  }
}

if (app.requestSingleInstanceLock()) {
  new KioskShell().install();
} else {
  // Another kiosk already runs: it gets 'second-instance' and comes to the front.
  app.quit();
}
