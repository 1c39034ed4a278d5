import { describe, expect, test } from 'vitest';
import {
  CRASH_WINDOW_MS,
  ELECTRON_FUSES,
  type ElectronPermission,
  hostOriginOf,
  KIOSK_SWITCHES,
  kioskPageUrl,
  kioskWindowOptions,
  parseKioskBridge,
  RELOAD_BASE_DELAY_MS,
  RELOAD_MAX_DELAY_MS,
  reloadDelayMs,
  securityPolicy,
} from './settings.ts';

const PRELOAD = '/opt/Suanpan/resources/app.asar/ui-kiosk/electron/dist/preload.cjs';
const HOST = 'http://127.0.0.1:7420';

describe('kiosk window options', () => {
  const production = kioskWindowOptions({ production: true, preloadPath: PRELOAD });
  const development = kioskWindowOptions({ production: false, preloadPath: PRELOAD });

  test('a full-screen kiosk window, shown only once painted', () => {
    expect(production).toMatchObject({
      kiosk: true,
      fullscreen: true,
      autoHideMenuBar: true,
      show: false,
      backgroundColor: expect.stringMatching(/^#[0-9a-f]{6}$/),
    });
  });

  test('every web preference is the locked-down one', () => {
    expect(production.webPreferences).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      enableWebSQL: false,
      backgroundThrottling: false,
      preload: PRELOAD,
    });
  });

  test('devtools only in development; nothing else differs', () => {
    expect(production.webPreferences?.devTools).toBe(false);
    expect(development.webPreferences?.devTools).toBe(true);
    expect({ ...development, webPreferences: { ...development.webPreferences, devTools: false } }).toEqual(
      production,
    );
  });

  test('no additional arguments: the token never reaches a command line', () => {
    expect(production.webPreferences?.additionalArguments).toBeUndefined();
    expect(JSON.stringify(production)).not.toMatch(/token/i);
  });

  test('a relative preload path is refused (Electron would ignore it)', () => {
    expect(() => kioskWindowOptions({ production: true, preloadPath: 'dist/preload.cjs' })).toThrow(
      /preload path must be absolute/,
    );
  });
});

describe('host origin', () => {
  test('http://127.0.0.1:PORT only', () => {
    expect(hostOriginOf('http://127.0.0.1:7420')).toBe(HOST);
    expect(hostOriginOf('http://127.0.0.1:7420/some/page?x=1#token=abc')).toBe(HOST);
    for (const bad of [
      'https://127.0.0.1:7420',
      'http://localhost:7420',
      'http://0.0.0.0:7420',
      'http://192.168.1.20:7420',
      'http://[::1]:7420',
      'http://127.0.0.1',
      'not a url',
    ]) {
      expect(() => hostOriginOf(bad), bad).toThrow(/Cannot open the kiosk/);
    }
  });

  test('the page is loaded without the token the host puts in its kiosk URL', () => {
    expect(kioskPageUrl(`${HOST}/#token=secret`)).toBe(`${HOST}/`);
    expect(kioskPageUrl(`${HOST}/?token=secret`)).toBe(`${HOST}/`);
    expect(kioskPageUrl(HOST)).toBe(`${HOST}/`);
  });
});

describe('security policy', () => {
  const policy = securityPolicy(HOST);

  test('navigation stays on the host', () => {
    expect(policy.hostOrigin).toBe(HOST);
    for (const ok of [
      `${HOST}/`,
      `${HOST}/checkout`,
      `${HOST}/demo/wallet?x=1#top`,
      'HTTP://127.0.0.1:7420/',
    ]) {
      expect(policy.allowNavigation(ok), ok).toBe(true);
    }
  });

  test('navigation anywhere else is refused', () => {
    for (const bad of [
      'http://127.0.0.1:7421/',
      'http://127.0.0.1/',
      'https://127.0.0.1:7420/',
      'http://localhost:7420/',
      'http://[::1]:7420/',
      'http://127.0.0.1:7420@evil.example/',
      'http://user:pass@127.0.0.1:7420/',
      'http://127.0.0.1.evil.example:7420/',
      'https://evil.example/',
      'ws://127.0.0.1:7420/api/events',
      'file:///etc/passwd',
      'data:text/html,<script>alert(1)</script>',
      'javascript:alert(1)',
      'about:blank',
      'chrome://gpu',
      'devtools://devtools/bundled/inspector.html',
      'blob:http://127.0.0.1:7420/1b2c',
      '',
      'not a url',
    ]) {
      expect(policy.allowNavigation(bad), bad).toBe(false);
    }
  });

  test('requests: the host over HTTP and its WebSocket, local data, nothing else', () => {
    for (const ok of [
      `${HOST}/api/status`,
      'ws://127.0.0.1:7420/api/events',
      'data:image/png;base64,AAAA',
      'blob:http://127.0.0.1:7420/1b2c',
      'devtools://devtools/bundled/inspector.html',
    ]) {
      expect(policy.allowRequest(ok), ok).toBe(true);
    }
    for (const bad of [
      'http://127.0.0.1:7421/api/status',
      'ws://127.0.0.1:7421/api/events',
      'wss://127.0.0.1:7420/api/events',
      'https://evil.example/?t=token',
      'http://evil.example/',
      'ws://evil.example/',
      'file:///etc/passwd',
      'http://user@127.0.0.1:7420/',
      'ftp://127.0.0.1:7420/',
    ]) {
      expect(policy.allowRequest(bad), bad).toBe(false);
    }
    expect(policy.requestFilter).toEqual({ urls: ['<all_urls>'] });
  });

  test('new windows, webviews, downloads and devices are refused', () => {
    expect(policy.windowOpen).toEqual({ action: 'deny' });
    expect(policy.attachWebview).toBe(false);
    expect(policy.download).toBe(false);
    expect(policy.allowDevice()).toBe(false);
  });

  test('every permission Electron 45 knows is refused', () => {
    // A record over Electron's own union: a permission added by an Electron upgrade fails to compile
    // here until it is listed.
    const permissions: Record<ElectronPermission, true> = {
      ar: true,
      'automatic-fullscreen': true,
      'background-fetch': true,
      'background-sync': true,
      'captured-surface-control': true,
      'clipboard-read': true,
      'clipboard-sanitized-write': true,
      'deprecated-sync-clipboard-read': true,
      'display-capture': true,
      fileSystem: true,
      fullscreen: true,
      geolocation: true,
      'geolocation-approximate': true,
      'hand-tracking': true,
      hid: true,
      'idle-detection': true,
      keyboardLock: true,
      'local-fonts': true,
      'local-network': true,
      'local-network-access': true,
      'loopback-network': true,
      media: true,
      mediaKeySystem: true,
      midi: true,
      midiSysex: true,
      nfc: true,
      notifications: true,
      openExternal: true,
      'payment-handler': true,
      'periodic-background-sync': true,
      'persistent-storage': true,
      pointerLock: true,
      'screen-wake-lock': true,
      sensors: true,
      serial: true,
      'smart-card': true,
      'speaker-selection': true,
      'storage-access': true,
      'system-wake-lock': true,
      'top-level-storage-access': true,
      usb: true,
      vr: true,
      'web-app-installation': true,
      'web-printing': true,
      'window-management': true,
      unknown: true,
    };
    for (const permission of [...Object.keys(permissions), 'some-future-permission']) {
      expect(policy.allowPermission(permission), permission).toBe(false);
    }
  });

  test('a policy for anything but a loopback host cannot be made', () => {
    expect(() => securityPolicy('http://0.0.0.0:7420')).toThrow(/127\.0\.0\.1/);
  });
});

describe('command-line switches', () => {
  test('each has a reason, none weakens the sandbox or the web security', () => {
    for (const s of KIOSK_SWITCHES) expect(s.why.length, s.name).toBeGreaterThan(20);
    const names = KIOSK_SWITCHES.map((s) => s.name);
    for (const forbidden of [
      'no-sandbox',
      'disable-web-security',
      'remote-debugging-port',
      'ignore-certificate-errors',
      'allow-file-access-from-files',
      'disable-site-isolation-trials',
      'inspect',
    ]) {
      expect(names).not.toContain(forbidden);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('fuses', () => {
  test('run-as-node, NODE_OPTIONS and --inspect off; asar integrity and asar-only on', () => {
    expect(ELECTRON_FUSES).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

describe('renderer reload backoff', () => {
  const now = 1_000_000;

  test('a first crash reloads at once, a crash loop backs off to the cap', () => {
    expect(reloadDelayMs([now], now)).toBe(RELOAD_BASE_DELAY_MS);
    expect(reloadDelayMs([now - 2000, now], now)).toBe(RELOAD_BASE_DELAY_MS * 2);
    expect(reloadDelayMs([now - 3000, now - 2000, now], now)).toBe(RELOAD_BASE_DELAY_MS * 4);
    const loop = Array.from({ length: 40 }, (_, i) => now - i * 100);
    expect(reloadDelayMs(loop, now)).toBe(RELOAD_MAX_DELAY_MS);
  });

  test('old crashes are forgotten', () => {
    expect(reloadDelayMs([now - CRASH_WINDOW_MS - 1, now - CRASH_WINDOW_MS, now], now)).toBe(
      RELOAD_BASE_DELAY_MS,
    );
  });

  test('never more than the cap, never negative, whatever the history', () => {
    for (let n = 0; n < 200; n += 7) {
      const times = Array.from({ length: n }, (_, i) => now - i);
      const delay = reloadDelayMs(times, now);
      expect(delay).toBeGreaterThanOrEqual(RELOAD_BASE_DELAY_MS);
      expect(delay).toBeLessThanOrEqual(RELOAD_MAX_DELAY_MS);
    }
  });
});

describe('the bridge answer the preload exposes', () => {
  test('a token and the host origin pass', () => {
    expect(parseKioskBridge({ token: 'abc-DEF_123', apiOrigin: HOST })).toEqual({
      token: 'abc-DEF_123',
      apiOrigin: HOST,
    });
  });

  test('only those two fields are kept', () => {
    expect(parseKioskBridge({ token: 't', apiOrigin: HOST, ipc: () => 1, extra: 'x' })).toEqual({
      token: 't',
      apiOrigin: HOST,
    });
  });

  test('anything else exposes nothing', () => {
    for (const bad of [
      null,
      undefined,
      'token',
      {},
      { token: '', apiOrigin: HOST },
      { token: 'has space', apiOrigin: HOST },
      { token: 'x'.repeat(513), apiOrigin: HOST },
      { token: 1, apiOrigin: HOST },
      { token: 't', apiOrigin: 'https://evil.example' },
      { token: 't', apiOrigin: `${HOST}/path` },
      { token: 't' },
    ]) {
      expect(parseKioskBridge(bad), JSON.stringify(bad) ?? String(bad)).toBeNull();
    }
  });
});
