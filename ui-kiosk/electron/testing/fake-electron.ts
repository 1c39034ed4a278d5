/**
 * A stand-in for the 'electron' module, for shell.test.ts: no Electron binary runs here, so the
 * built dist/main.js is run by plain Node with this module in Electron's place
 * (register-fake-electron.ts maps the import). It implements the part of Electron's API main.ts
 * uses, behaves as Electron documents it (events, `preventDefault`, handlers), and plays one
 * scenario against the real terminal host that main.ts starts: it asks for the token as the preload
 * does, calls the host, tries what a hostile page would try, crashes the renderer, and quits.
 *
 * Everything observed is written to stdout as lines `@@electron {json}` for the test to read.
 * FAKE_ELECTRON_PACKAGED=1 plays a production build; FAKE_ELECTRON_LOCK=taken a second instance.
 */
import { EventEmitter } from 'node:events';

export const REPORT_MARK = '@@electron ';

function report(type: string, data: object = {}): void {
  process.stdout.write(`${REPORT_MARK}${JSON.stringify({ type, ...data })}\n`);
}

/** Electron's Event: handlers call preventDefault() synchronously to refuse. */
class FakeEvent {
  defaultPrevented = false;
  constructor(fields: object = {}) {
    Object.assign(this, fields);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (ok: boolean) => void,
) => void;
type PermissionCheckHandler = (contents: unknown, permission: string) => boolean;
type RequestListener = (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void;

class FakeSession extends EventEmitter {
  permissionRequest: PermissionRequestHandler | null = null;
  permissionCheck: PermissionCheckHandler | null = null;
  devicePermission: ((details: object) => boolean) | null = null;
  requestFilter: { urls: string[] } | null = null;
  beforeRequest: RequestListener | null = null;

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: ((details: object) => boolean) | null): void {
    this.devicePermission = handler;
  }
  readonly webRequest = {
    onBeforeRequest: (filter: { urls: string[] }, listener: RequestListener | null) => {
      this.requestFilter = filter;
      this.beforeRequest = listener;
    },
  };
}

const defaultSession = new FakeSession();
export const session = { defaultSession };

class FakeWebContents extends EventEmitter {
  readonly session = defaultSession;
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;

  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = handler;
  }
  forcefullyCrashRenderer(): void {
    this.emit('render-process-gone', new FakeEvent(), { reason: 'killed', exitCode: 9 });
  }
}

export const ipcMain = new EventEmitter();

export const dialog = {
  showErrorBox(title: string, content: string): void {
    report('errorBox', { title, content });
  },
};

export const Menu = {
  setApplicationMenu(menu: unknown): void {
    report('applicationMenu', { menu });
  },
};

class FakeApp extends EventEmitter {
  readonly isPackaged = process.env.FAKE_ELECTRON_PACKAGED === '1';
  readonly commandLine = {
    appendSwitch: (name: string, value?: string) => report('switch', { name, value }),
  };
  private quits = 0;

  enableSandbox(): void {
    report('enableSandbox');
  }
  requestSingleInstanceLock(): boolean {
    const obtained = process.env.FAKE_ELECTRON_LOCK !== 'taken';
    report('singleInstanceLock', { obtained });
    return obtained;
  }
  /** Electron is "ready" once the main module has run. */
  whenReady(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
  /** As Electron: 'before-quit' first; unless a listener prevents it, windows close and the app exits. */
  quit(): void {
    this.quits += 1;
    const event = new FakeEvent();
    this.emit('before-quit', event);
    report('beforeQuit', { attempt: this.quits, prevented: event.defaultPrevented });
    if (event.defaultPrevented) return;
    void afterQuit().finally(() => this.exit(0));
  }
  exit(code: number): void {
    report('exit', { code });
    process.exit(code);
  }
}

export const app = new FakeApp();

const windows: BrowserWindow[] = [];

export class BrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly loads: string[] = [];
  private visible = false;

  constructor(options: object) {
    super();
    report('window', { options });
    windows.push(this);
    app.emit('web-contents-created', new FakeEvent(), this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.loads.push(url);
    report('loadURL', { url });
    if (this.loads.length === 1) setImmediate(() => play(this, url).catch(fault));
  }
  show(): void {
    this.visible = true;
    report('show');
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {
    report('focus');
  }
}

function fault(err: unknown): void {
  report('fault', { message: err instanceof Error ? err.stack : String(err) });
  process.exit(3);
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`fake electron: gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let hostUrl = '';

/** What Electron and a page would do once the kiosk page is loading. */
async function play(window: BrowserWindow, pageUrl: string): Promise<void> {
  const contents = window.webContents;
  hostUrl = pageUrl;
  window.emit('ready-to-show');

  // The preload's question, from the kiosk page and from some other webContents.
  const fromKiosk = { sender: contents, returnValue: undefined as unknown };
  ipcMain.emit('suanpan:bridge', fromKiosk);
  const fromOther = { sender: new FakeWebContents(), returnValue: undefined as unknown };
  ipcMain.emit('suanpan:bridge', fromOther);
  report('bridge', { kiosk: fromKiosk.returnValue, other: fromOther.returnValue });

  // The host, reached as the page reaches it.
  const token = (fromKiosk.returnValue as { token?: string } | null)?.token ?? '';
  const healthz = await fetch(new URL('/healthz', pageUrl));
  const withToken = await fetch(new URL('/api/status', pageUrl), {
    headers: { authorization: `Bearer ${token}` },
  });
  const withoutToken = await fetch(new URL('/api/status', pageUrl));
  report('host', {
    healthz: healthz.status,
    status: withToken.status,
    statusWithoutToken: withoutToken.status,
  });

  // What a hostile page would try.
  const navigation = [
    ['will-navigate', 'https://evil.example/'],
    ['will-navigate', new URL('/somewhere', pageUrl).href],
    ['will-redirect', 'http://127.0.0.1:1/'],
    ['will-frame-navigate', 'file:///etc/passwd'],
    ['will-frame-navigate', new URL('/frame', pageUrl).href],
  ].map(([event, url]) => {
    const e = new FakeEvent({ url });
    contents.emit(event as string, e);
    return { event, url, prevented: e.defaultPrevented };
  });
  const webview = new FakeEvent();
  contents.emit('will-attach-webview', webview, {}, {});
  const download = new FakeEvent();
  defaultSession.emit('will-download', download);
  const permission = await new Promise<boolean>((resolve) =>
    defaultSession.permissionRequest?.(contents, 'media', resolve),
  );
  const requests: Record<string, boolean | undefined> = {};
  for (const url of ['https://evil.example/x', new URL('/api/status', pageUrl).href, 'ws://127.0.0.1:1/']) {
    defaultSession.beforeRequest?.({ url }, ({ cancel }) => {
      requests[url] = cancel;
    });
  }
  report('hostile', {
    navigation,
    windowOpen: contents.windowOpenHandler?.({ url: 'https://evil.example/' }),
    webviewPrevented: webview.defaultPrevented,
    downloadPrevented: download.defaultPrevented,
    permissionRequest: permission,
    permissionCheck: defaultSession.permissionCheck?.(contents, 'hid'),
    devicePermission: defaultSession.devicePermission?.({ deviceType: 'hid' }),
    requestFilter: defaultSession.requestFilter,
    cancelled: requests,
  });

  // A renderer crash: the page comes back.
  const loadsBefore = window.loads.length;
  contents.emit('render-process-gone', new FakeEvent(), { reason: 'crashed', exitCode: 11 });
  await waitFor(() => window.loads.length > loadsBefore, 'the reload after a crash');
  report('reloaded', { url: window.loads.at(-1) });

  // Someone starts the kiosk again: this one comes to the front.
  app.emit('second-instance', new FakeEvent(), [], '/', {});

  app.quit();
}

/** Between the last 'before-quit' and the exit: is the host still serving? */
async function afterQuit(): Promise<void> {
  if (!hostUrl) return;
  const reachable = await fetch(new URL('/healthz', hostUrl)).then(
    () => true,
    () => false,
  );
  report('hostAfterQuit', { reachable, windows: windows.length });
}
