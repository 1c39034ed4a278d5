/**
 * What the kiosk's browser tests share: the renderer built for them, Debian's Chromium, the four
 * screen sizes of issue 6 with a layout check and a screenshot at each (into test-artifacts/kiosk/),
 * the dictionary's texts to look for, and the two worlds a test file starts: a terminal with no
 * core ({@link startKioskWorld}), or `suanpan demo`'s whole world ({@link startDemoKioskWorld}).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { hostShownQr, registerDemoRoutes } from '../../../device/demo/demo-routes.ts';
import { type DemoWorld, startDemoWorld } from '../../../device/demo/demo-world.ts';
import { type RunningHost, startHost } from '../../../device/host/host.ts';
import { createLogger, LOG_FILE } from '../../../device/log.ts';
import { type MessageKey, translate } from '../src/i18n/dictionary.ts';

export const webDir = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = path.resolve(webDir, '../..');
export const artifacts = path.join(repoRoot, 'test-artifacts/kiosk');

export const SIZES = [
  { width: 800, height: 480 },
  { width: 1024, height: 600 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;
export type Size = (typeof SIZES)[number];

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CHROMIUM = '/usr/bin/chromium';
/**
 * Skipped only on a developer's machine without Debian's Chromium; in CI (CI=true) a missing browser
 * fails the run.
 */
export const SKIP_BROWSER = !fs.existsSync(CHROMIUM) && process.env.CI !== 'true';
if (SKIP_BROWSER)
  console.warn('kiosk browser tests skipped: they need Chromium (install the Debian package chromium)');

export const zh = (key: MessageKey) => translate('zh-CN', key);
export const en = (key: MessageKey) => translate('en', key);

/**
 * Builds the renderer into a folder of its own for one test file, removed with `remove()`. Each
 * file builds its own: test files run in parallel, and two builds emptying the same dist/ while a
 * host serves from it would fail each other at random.
 */
export async function buildRenderer(): Promise<{ dir: string; remove: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-web-'));
  await promisify(execFile)(
    path.join(repoRoot, 'node_modules/.bin/vite'),
    ['build', webDir, '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: repoRoot },
  );
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface KioskWorld {
  /** The host now serving (a new one after `restartHost`). */
  host: RunningHost;
  browser: Browser;
  dataDir: string;
  /** Starts the host again on the same folder and renderer (after the test closed it). */
  restartHost(options: { port: number; token: string }): Promise<RunningHost>;
  /** Closes the browser and the host, removes the data folder and the built renderer. */
  close(): Promise<void>;
}

/**
 * What each browser test file starts: the renderer built for it, a terminal with no core in a
 * fresh data folder (its `suanpan.json` written first when `settings` are given; demo wallet codes
 * recognised), the host serving that renderer on a free port, and Chromium.
 */
export async function startKioskWorld(options: { name: string; settings?: unknown }): Promise<KioskWorld> {
  const web = await buildRenderer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `kiosk-${options.name}-`));
  if (options.settings !== undefined)
    fs.writeFileSync(path.join(dataDir, 'suanpan.json'), JSON.stringify(options.settings));
  const serve = (more: { port: number; token?: string }) =>
    startHost({ dataDir, env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true' }, webRoot: web.dir, ...more });
  const world: KioskWorld = {
    host: await serve({ port: 0 }),
    browser: await launchChromium(),
    dataDir,
    restartHost: async (again) => {
      world.host = await serve(again);
      return world.host;
    },
    close: async () => {
      await world.browser.close();
      await world.host.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      web.remove();
    },
  };
  return world;
}

export interface DemoKioskWorld {
  /** The demo's core, merchant, wallet, printer and scanner simulators. */
  demo: DemoWorld;
  host: RunningHost;
  browser: Browser;
  dataDir: string;
  /** Closes the browser, the host and the demo, removes the data folder and the built renderer. */
  close(): Promise<void>;
}

/**
 * `suanpan demo` started in process exactly as the command starts it (device/cli/commands/
 * kiosk-demo.ts): its log file in a fresh data folder, the demo world first (the reference core on
 * PGlite, a merchant, the demo wallet, the printer and scanner simulators, the terminal activated),
 * then the host with the demo routes beside the kiosk (the wallet page offered the QR the kiosk
 * shows), on any free port; the renderer built for this file, and Chromium.
 */
export async function startDemoKioskWorld(options: { name: string }): Promise<DemoKioskWorld> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `kiosk-e2e-${options.name}-`));
  const log = createLogger({ level: 'info', file: path.join(dataDir, LOG_FILE) });
  const built = buildRenderer();
  const cleanups: (() => Promise<void> | void)[] = [
    () => fs.rmSync(dataDir, { recursive: true, force: true }),
  ];
  // Each step is tried whatever the others did, the last started first.
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => {});
  };
  try {
    let demo: DemoWorld;
    try {
      demo = await startDemoWorld({ dataDir, log });
    } finally {
      const web = await built;
      cleanups.push(web.remove);
    }
    cleanups.push(() => demo.close());
    // The demo's routes read the kiosk's QR from the host once it runs (see kiosk-demo.ts).
    const host: RunningHost = await startHost({
      dataDir,
      env: { SUANPAN_DATA_DIR: dataDir },
      port: 0,
      log,
      webRoot: (await built).dir,
      extraRoutes: (app, guards) =>
        registerDemoRoutes(app, demo, { ...guards, currentQr: hostShownQr(() => host) }),
    });
    cleanups.push(() => host.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    return { demo, host, browser, dataDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export function launchChromium(): Promise<Browser> {
  fs.mkdirSync(artifacts, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The text as shown (Playwright's Locator.innerText: layout-aware, unlike textContent). */
export function text(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: this is Playwright's Locator.innerText, not the DOM property; the rendered text is what the cashier reads.
  return locator.innerText();
}

/** Asserts nothing sticks out of the screen sideways and every control is a 48 px target. */
export async function checkLayout(page: Page, what: string): Promise<void> {
  const report = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > width + 1)
      .map((el) => `${el.tagName}.${el.className}`);
    const small = [...document.querySelectorAll<HTMLElement>('button, input')]
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.height < 48 || box.width < 48)
      .map(
        ({ el, box }) => `${el.tagName}.${el.className} ${Math.round(box.width)}×${Math.round(box.height)}`,
      );
    return { wide, small, scrollWidth: document.documentElement.scrollWidth, width };
  });
  expect(report.wide, `${what}: wider than the screen`).toEqual([]);
  expect(report.scrollWidth, `${what}: horizontal scroll`).toBeLessThanOrEqual(report.width);
  expect(report.small, `${what}: touch targets under 48 px`).toEqual([]);
}

/** A screenshot of the current screen at every size, each checked for layout. */
export async function screenshotAtEverySize(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    await checkLayout(page, `${name} at ${size.width}×${size.height}`);
    await page.screenshot({ path: path.join(artifacts, `${size.width}x${size.height}-${name}.png`) });
  }
  await page.setViewportSize(SIZES[0]);
}
