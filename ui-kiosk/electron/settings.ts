/**
 * The kiosk shell's window options and security settings, as plain data built by pure functions.
 * No Electron binary runs on a build machine or in CI, so everything that decides what the kiosk
 * window may do lives here, where a unit test checks it; main.ts only hands these answers to
 * Electron's hooks.
 *
 * This file has no runtime import at all (Electron's types only): the preload bundles the bridge
 * part of it, and a sandboxed preload may `require` nothing but 'electron'.
 *
 * Checklist this follows: https://www.electronjs.org/docs/latest/tutorial/security
 */
import type { BrowserWindowConstructorOptions, Session } from 'electron';
import type { Configuration } from 'electron-builder';

/** Painted before the renderer's first frame; the window is shown only at `ready-to-show` anyway. */
export const KIOSK_BACKGROUND_COLOR = '#ffffff';

export interface KioskWindowInput {
  /** `app.isPackaged`: a production build has no devtools. */
  production: boolean;
  /** Absolute path of the bundled preload (dist/preload.cjs); Electron refuses a relative one. */
  preloadPath: string;
}

export function kioskWindowOptions({
  production,
  preloadPath,
}: KioskWindowInput): BrowserWindowConstructorOptions {
  if (!/^(\/|[A-Za-z]:[\\/])/.test(preloadPath)) {
    throw new Error(`Cannot open the kiosk window: the preload path must be absolute, got "${preloadPath}"`);
  }
  return {
    title: 'Suanpan',
    kiosk: true,
    fullscreen: true,
    autoHideMenuBar: true,
    backgroundColor: KIOSK_BACKGROUND_COLOR,
    // Shown at 'ready-to-show' (main.ts), so the cashier never sees a blank or half-painted window.
    show: false,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      // Also keeps the preload (and so the token) out of any frame but the main one.
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !production,
      navigateOnDragDrop: false,
      safeDialogs: true,
      enableWebSQL: false,
      // The kiosk must keep reacting to scans (keyboard-wedge timing runs in the renderer) even when
      // Chromium thinks the window is hidden, e.g. while the display is blanked.
      backgroundThrottling: false,
      preload: preloadPath,
    },
  };
}

/**
 * The host's origin, `http://127.0.0.1:PORT`, from the URL the host reports. Anything else is a
 * refusal: the local API listens on loopback only (DESIGN.md), and every check below compares
 * against this string.
 */
export function hostOriginOf(hostUrl: string): string {
  let url: URL;
  try {
    url = new URL(hostUrl);
  } catch {
    throw new Error(`Cannot open the kiosk: the host's URL "${hostUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.port === '') {
    throw new Error(
      `Cannot open the kiosk: the host must listen on http://127.0.0.1:PORT, but reported "${hostUrl}"`,
    );
  }
  return url.origin;
}

/**
 * The page the window loads: the host's URL without query or fragment. A browser gets the per-boot
 * token in the fragment of `suanpan start`'s URL; the kiosk window must not (it would sit in the
 * page's history and `location`), it gets the token from the preload instead.
 */
export function kioskPageUrl(hostUrl: string): string {
  const url = new URL(hostUrl);
  hostOriginOf(url.href);
  return `${url.origin}${url.pathname}`;
}

/** Permission names Electron 45 can ask about: whatever the page asks, the answer is no. */
export type ElectronPermission = Parameters<
  NonNullable<Parameters<Session['setPermissionCheckHandler']>[0]>
>[1];

export interface SecurityPolicy {
  readonly hostOrigin: string;
  /** `will-navigate`, `will-frame-navigate`, `will-redirect`: anything false is prevented. */
  allowNavigation(url: string): boolean;
  /**
   * Every request of the session (`webRequest.onBeforeRequest` with {@link requestFilter}): only the
   * host over HTTP and its WebSocket, plus local `data:`/`blob:` URLs. Defence in depth behind the
   * host's Content-Security-Policy: a script injected into the page still cannot send anything out.
   */
  allowRequest(url: string): boolean;
  readonly requestFilter: { urls: string[] };
  /** `setWindowOpenHandler`'s answer for every `window.open` and `target=_blank`. */
  readonly windowOpen: { action: 'deny' };
  /** Permission request and check handlers: nothing (camera, HID, serial, notifications...) is granted. */
  allowPermission(permission: string): false;
  /** `setDevicePermissionHandler`: WebHID, WebUSB and Web Serial stay closed; devices are the host's. */
  allowDevice(): false;
  /** `will-attach-webview`: prevented (and `webviewTag` is off). */
  readonly attachWebview: false;
  /** `will-download`: prevented; a kiosk never saves files. */
  readonly download: false;
}

export function securityPolicy(hostUrl: string): SecurityPolicy {
  const hostOrigin = hostOriginOf(hostUrl);
  const hostWebSocket = hostOrigin.replace(/^http:/, 'ws:');
  const parse = (url: string): URL | null => {
    try {
      const parsed = new URL(url);
      // `http://user:pass@127.0.0.1:PORT/`: nothing of ours uses credentials in a URL.
      return parsed.username || parsed.password ? null : parsed;
    } catch {
      return null;
    }
  };
  return {
    hostOrigin,
    // The protocol too: a `blob:http://127.0.0.1:PORT/...` URL has the host's origin, but it is a
    // document the page made itself, not one the host served.
    allowNavigation: (url) => {
      const parsed = parse(url);
      return parsed?.protocol === 'http:' && parsed.origin === hostOrigin;
    },
    allowRequest: (url) => {
      const parsed = parse(url);
      if (!parsed) return false;
      switch (parsed.protocol) {
        case 'http:':
          return parsed.origin === hostOrigin;
        case 'ws:':
          return `ws://${parsed.host}` === hostWebSocket;
        // In-memory resources the page made itself (a QR image, a receipt preview): no network.
        case 'data:':
        case 'blob:':
          return true;
        // DevTools' own pages, only reachable when devtools are enabled (never in production).
        case 'devtools:':
          return true;
        default:
          return false;
      }
    },
    requestFilter: { urls: ['<all_urls>'] },
    windowOpen: { action: 'deny' },
    allowPermission: () => false,
    allowDevice: () => false,
    attachWebview: false,
    download: false,
  };
}

export interface CommandLineSwitch {
  name: string;
  value?: string;
  why: string;
}

/**
 * Chromium switches appended before `ready` (so before the host, and its origin, exist: that is why
 * they are not part of {@link securityPolicy}).
 */
export const KIOSK_SWITCHES: readonly CommandLineSwitch[] = [
  {
    name: 'disable-pinch',
    why: 'touch-first kiosk: a pinch would leave the cashier on a zoomed screen with no way back',
  },
  {
    name: 'overscroll-history-navigation',
    value: '0',
    why: 'a horizontal swipe must not go back a page in the middle of a payment',
  },
  {
    name: 'no-proxy-server',
    why: 'the renderer talks to 127.0.0.1 only; a system proxy must never see the token',
  },
  {
    name: 'password-store',
    value: 'basic',
    why:
      'an auto-login kiosk has a locked keyring: Chromium would put a keyring unlock prompt over the ' +
      'till; the kiosk keeps no secret in Chromium (the token lives in memory, never in a cookie)',
  },
];

/**
 * Electron fuses, flipped in the packaged binary by electron-builder (`electronFuses` in
 * electron-builder.yml, which a test keeps equal to this). Key names are those of app-builder-lib's
 * `FuseOptionsV1`; https://www.electronjs.org/docs/latest/tutorial/fuses
 */
export const ELECTRON_FUSES = {
  /** ELECTRON_RUN_AS_NODE ignored: the kiosk binary cannot be used as a plain Node. */
  runAsNode: false,
  /** NODE_OPTIONS and NODE_EXTRA_CA_CERTS ignored: no code injected through the environment. */
  enableNodeOptionsEnvironmentVariable: false,
  /** --inspect and SIGUSR1 ignored: no debugger attached to the process holding payments and keys. */
  enableNodeCliInspectArguments: false,
  /**
   * app.asar checked against the hash embedded in the binary. Electron enforces it on macOS and
   * Windows only (its asar-integrity docs); on Linux the asar is protected by where it lives (root-owned
   * /opt in the deb, a read-only squashfs in the AppImage), and the fuse costs nothing.
   */
  enableEmbeddedAsarIntegrityValidation: true,
  /** Only app.asar is loaded, never an `app/` folder dropped beside it. */
  onlyLoadAppFromAsar: true,
  enableCookieEncryption: true,
  /** The kiosk never loads file:// pages; they get no more than a web page would. */
  grantFileProtocolExtraPrivileges: false,
} as const satisfies NonNullable<Configuration['electronFuses']>;

/** A crashed renderer is reloaded after this long, doubling for each crash in {@link CRASH_WINDOW_MS}. */
export const RELOAD_BASE_DELAY_MS = 250;
/** At most this long between reloads: a crash loop settles into one attempt every half minute. */
export const RELOAD_MAX_DELAY_MS = 30_000;
/** Crashes further apart than this don't count towards the backoff. */
export const CRASH_WINDOW_MS = 60_000;

/**
 * How long to wait before reloading a renderer that just went away, given when the recent ones went
 * (including this one). First crash: 250 ms; a renderer crashing on load every time backs off to one
 * try per 30 s instead of spinning the CPU the host needs.
 */
export function reloadDelayMs(crashTimes: readonly number[], now: number): number {
  const recent = crashTimes.filter((t) => now - t < CRASH_WINDOW_MS && t <= now).length;
  const exponent = Math.max(0, recent - 1);
  return Math.min(RELOAD_MAX_DELAY_MS, RELOAD_BASE_DELAY_MS * 2 ** Math.min(exponent, 20));
}

/**
 * The preload asks the main process for the token on this channel (`ipcRenderer.sendSync`, once per
 * page load). Not a command-line argument: a renderer's arguments are readable by every local user
 * in /proc/PID/cmdline, and the token is what keeps other local processes off the API.
 */
export const BRIDGE_CHANNEL = 'suanpan:bridge';

/** What the page sees as `window.suanpan`: the per-boot token and where the API is. Nothing else. */
export interface KioskBridge {
  readonly token: string;
  readonly apiOrigin: string;
}

/** Checks the main process's answer before the preload exposes it; null: expose nothing. */
export function parseKioskBridge(value: unknown): KioskBridge | null {
  if (typeof value !== 'object' || value === null) return null;
  const { token, apiOrigin } = value as Record<string, unknown>;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) return null;
  if (typeof apiOrigin !== 'string') return null;
  try {
    if (hostOriginOf(apiOrigin) !== apiOrigin) return null;
  } catch {
    return null;
  }
  return { token, apiOrigin };
}
