/**
 * `suanpan demo` in Chromium, started in process exactly as the command starts it: the demo world
 * (the reference core on PGlite in a temp data folder, a merchant, the demo wallet, the printer
 * simulator drawing receipts to PNG, the serial scanner simulator on a PTY, the terminal activated)
 * and the host with the demo routes beside the kiosk. One page is the kiosk, a second page of the
 * same browser is the demo wallet (`/demo/wallet#token=…`), used as a newcomer uses it:
 *
 * 1. an online checkout: ¥12.50 on the keypad, "present" on the wallet page, approved, the receipt
 *    picture shown and drawn to a PNG, the wallet's balance down by ¥12.50;
 * 2. the offline path: the core stopped from the wallet page, ¥8.00 paid with the code the page
 *    showed before the stop, accepted offline, the offline banner's figures those of /api/status;
 *    the core started again, the payment settled;
 * 3. a void of the online payment with a wrong PIN, then the demo's supervisor PIN: voided, the
 *    money back in the wallet;
 * 4. screenshots of both pages at the four sizes, into test-artifacts/kiosk/demo-*.
 *
 * The tests run in order and share the demo: each starts where the one before left off.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DEMO_SUPERVISOR_PIN, type DemoWorld } from '../../../device/demo/demo-world.ts';
import type { HostStatus, PaymentList } from '../../../device/host/api-schema.ts';
import type { RunningHost } from '../../../device/host/host.ts';
import { formatMoney } from '../../../sync/protocol/money.ts';
import { PTY_SKIP_REASON, SKIP_PTY } from '../../../test-hardware/pty.ts';
import { PIN_ATTEMPTS } from '../src/api/contract.ts';
import { translate } from '../src/i18n/dictionary.ts';
import {
  artifacts,
  checkLayout,
  type DemoKioskWorld,
  SIZES,
  SKIP_BROWSER,
  startDemoKioskWorld,
  text,
  zh,
} from './kiosk-browser.ts';

const SKIP = SKIP_BROWSER || SKIP_PTY;
if (SKIP_PTY) console.warn(`demo browser tests skipped: the demo's scanner ${PTY_SKIP_REASON}`);
/** PGlite's first start, a renderer build and a loaded machine: minutes, not seconds, at worst. */
const SLOW = 180_000;

let demoKiosk: DemoKioskWorld | undefined;
let world: DemoWorld;
let host: RunningHost;
let kiosk: Page;
let wallet: Page;
/** What went wrong in either page: console errors, uncaught exceptions, refused requests not expected. */
const problems: string[] = [];

/**
 * Refusals expected: the wrong supervisor PIN (403 from the void), and the browser's own ask for
 * /favicon.ico on the demo wallet page, which links no icon.
 */
const EXPECTED_REFUSALS = [
  { status: 403, path: /^\/api\/payments\/[^/]+\/void$/ },
  { status: 404, path: /^\/favicon\.ico$/ },
];

function watch(page: Page, name: string): void {
  page.on('console', (message) => {
    // Refused requests are checked by their response, below, where the address is known.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    const status = response.status();
    if (status < 400 || EXPECTED_REFUSALS.some((r) => r.status === status && r.path.test(pathname))) return;
    problems.push(`${name}: ${response.request().method()} ${pathname} answered ${status}`);
  });
}

beforeAll(async () => {
  if (SKIP) return;
  // As `suanpan demo` (device/cli/commands/kiosk-demo.ts).
  demoKiosk = await startDemoKioskWorld({ name: 'demo' });
  ({ demo: world, host } = demoKiosk);
  const context = await demoKiosk.browser.newContext({ viewport: SIZES[0] });
  kiosk = await context.newPage();
  wallet = await context.newPage();
  watch(kiosk, 'kiosk');
  watch(wallet, 'wallet');
  await kiosk.goto(host.kioskUrl);
  await wallet.goto(`${host.url}/demo/wallet#token=${host.token}`);
}, SLOW);

// A failing step leaves both pages as they were, to look at.
beforeEach(({ onTestFailed }) => {
  onTestFailed(async ({ task }) => {
    const name = task.name.replace(/\W+/g, '-').slice(0, 40);
    await kiosk?.screenshot({ path: path.join(artifacts, `demo-failed-${name}-kiosk.png`) }).catch(() => {});
    await wallet
      ?.screenshot({ path: path.join(artifacts, `demo-failed-${name}-wallet.png`) })
      .catch(() => {});
  });
});

afterAll(async () => {
  await demoKiosk?.close();
}, SLOW);

async function api<T>(route: string): Promise<T> {
  const response = await fetch(`${host.url}/api${route}`, {
    headers: { authorization: `Bearer ${host.token}` },
  });
  expect(response.status, `GET /api${route}`).toBe(200);
  return (await response.json()) as T;
}

/** A screenshot of the page at every size, each checked for layout, as test-artifacts/kiosk/demo-NAME-WxH.png. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    await checkLayout(page, `demo ${name} at ${size.width}×${size.height}`);
    await page.screenshot({ path: path.join(artifacts, `demo-${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize(SIZES[0]);
}

/** Presses keypad keys by touch: "12.50" → 1, 2, point, 5, 0. */
async function touchAmount(page: Page, amount: string): Promise<void> {
  for (const key of amount) {
    const name = key === '.' ? zh('keypad.point') : key;
    await page.locator('.keypad').getByRole('button', { name, exact: true }).click();
  }
}

/** Amount on the keypad, "charge", and the kiosk waiting for the customer's code. */
async function startCheckout(amount: string, shown: string): Promise<void> {
  await kiosk.locator('.keypad-screen').waitFor();
  await touchAmount(kiosk, amount);
  expect(await text(kiosk.locator('.amount-display'))).toContain(shown);
  await kiosk.locator('.key--charge').click();
  await kiosk.getByRole('heading', { name: zh('wait.title') }).waitFor();
  expect(await text(kiosk.locator('.due-amount'))).toBe(shown);
}

/** The payment code the wallet page shows now, digits only (it shows them in groups of four). */
async function shownCode(): Promise<string> {
  const digits = wallet.locator('#digits');
  await expect.poll(() => text(digits), { timeout: 60_000 }).toMatch(/^\d{4}( \d{1,4})+$/);
  return (await text(digits)).replace(/\s/g, '');
}

async function shownBalance(): Promise<string> {
  const balance = wallet.locator('#balance');
  await expect.poll(() => text(balance), { timeout: 60_000 }).toMatch(/^¥\d+\.\d\d$/);
  return text(balance);
}

/** The wallet page loaded again: a fresh code and the balance as the core holds it now. */
async function reloadWallet(): Promise<void> {
  await wallet.reload();
  await shownCode();
}

/**
 * Presses "present" on the wallet page; resolves with the code it sent to the scanner (the page
 * issues a fresh code every 20 s while the core runs, so the one on screen a moment ago may not be it).
 */
async function present(): Promise<string> {
  const sent = wallet.waitForRequest((r) => r.url().endsWith('/demo/api/present') && r.method() === 'POST');
  await wallet.locator('#present').click();
  const { code } = (await sent).postDataJSON() as { code: string };
  expect(code).toMatch(/^28\d{16}$/);
  return code;
}

function banner() {
  return kiosk.locator('.offline-banner');
}

async function bannerStat(stat: string): Promise<string> {
  return (await text(banner().locator(`[data-stat="${stat}"] dd`))).replace(/\s+/g, ' ').trim();
}

function paymentRow(amount: string) {
  return kiosk.locator('.payment-row', { hasText: amount });
}

describe.skipIf(SKIP)('suanpan demo in Chromium: the kiosk and the demo wallet page', () => {
  test(
    'an online checkout from the wallet page to the receipt picture',
    async () => {
      await kiosk.locator('.keypad-screen').waitFor({ timeout: 60_000 });
      // The demo's core answers: no offline banner, and the pill says online.
      await expect
        .poll(() => text(kiosk.locator('.online-pill')), { timeout: 60_000 })
        .toBe(zh('status.online'));
      expect(await banner().count()).toBe(0);
      expect(await shownCode()).toMatch(/^28\d{16}$/);
      expect(await shownBalance()).toBe('¥500.00');
      await screenshots(wallet, 'wallet');

      await startCheckout('12.50', '¥12.50');
      await screenshots(kiosk, 'kiosk-waiting');
      const code = await present();

      const result = kiosk.locator('.result-screen');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute('data-tone')).toBe('approved');
      expect(await text(result.locator('h1'))).toBe(zh('result.approved.title'));
      expect(await text(result)).toContain('¥12.50');
      // The code presented is the one the scanner read (masked but for its last four).
      expect(await text(result)).toContain(code.slice(-4));
      await screenshots(kiosk, 'kiosk-approved');

      await kiosk.getByRole('button', { name: zh('result.receipt') }).click();
      const picture = kiosk.locator('.receipt-picture__img');
      await picture.waitFor({ timeout: 30_000 });
      expect(await picture.getAttribute('alt')).toBe(translate('zh-CN', 'receipt.alt', { amount: '¥12.50' }));
      await expect
        .poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
        .toBeGreaterThan(0);
      expect(await kiosk.locator('.receipt-side .state-badge').getAttribute('data-status')).toBe('approved');
      await screenshots(kiosk, 'kiosk-receipt');

      // The printer simulator drew the printed receipt into the demo's receipts folder.
      await expect
        .poll(() => fs.readdirSync(world.receiptsDir).filter((f) => f.endsWith('.png')).length, {
          timeout: 60_000,
          interval: 250,
        })
        .toBeGreaterThanOrEqual(1);

      // The wallet page, loaded again, shows the money gone from the wallet.
      await reloadWallet();
      await expect.poll(() => shownBalance(), { timeout: 30_000 }).toBe('¥487.50');

      // Back to the keypad for the next customer.
      await kiosk.getByRole('button', { name: zh('common.back'), exact: true }).click();
      await kiosk.getByRole('button', { name: zh('result.next') }).click();
      await kiosk.locator('.keypad-screen').waitFor();
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  test(
    'the core stopped from the wallet page: accepted offline, the banner right, settled once back',
    async () => {
      // A fresh code (each lasts a minute), shown before the stop: the page keeps it afterwards.
      await reloadWallet();
      const code = await shownCode();
      const core = wallet.locator('#core');
      await core.click();
      await expect.poll(() => text(core), { timeout: 60_000 }).toContain('Start the core');
      expect(world.coreRunning()).toBe(false);
      expect(await text(wallet.locator('#message'))).toContain('The core is stopped');
      expect(await shownCode()).toBe(code);

      await startCheckout('8.00', '¥8.00');
      // With the core stopped the page issues no new code: it presents the one it showed.
      expect(await present()).toBe(code);
      const result = kiosk.locator('.result-screen');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute('data-tone')).toBe('offline');
      expect(await text(result.locator('h1'))).toBe(zh('result.accepted_offline.title'));
      expect(await text(result)).toContain('¥8.00');
      expect(await text(result)).toContain(code.slice(-4));
      // The code is spent and the stopped core issues no other: the page says so.
      await expect
        .poll(() => text(wallet.locator('#digits')), { timeout: 30_000 })
        .toContain('No new code while the core is stopped');

      // The failed sync after the payment tells the kiosk the core is out of reach: the banner.
      await banner().waitFor({ timeout: 60_000 });
      expect(await text(banner())).toContain(zh('offline.title.unreachable'));
      await expect.poll(() => bannerStat('stored'), { timeout: 30_000 }).toBe('1 笔 · ¥8.00');
      const status = await api<HostStatus>('/status');
      expect(status.online).toMatchObject({ configured: true, reachable: false });
      expect(status.queue.pending).toBe(1);
      expect(status.queue.totals).toEqual({ CNY: 800 });
      const room = status.queue.remaining;
      expect(await bannerStat('next-max')).toBe(formatMoney(room.nextPaymentMax));
      expect(await bannerStat('amount-left')).toBe(formatMoney(room.totalStored));
      expect(formatMoney(room.totalStored)).toBe('¥1,992.00');
      expect(await bannerStat('count-left')).toBe(`${room.storedCount} 笔`);
      expect(room.storedCount).toBe(199);
      expect(await bannerStat('sync-due')).toMatch(new RegExp(`^${room.hoursLeft} 小时`));
      await screenshots(kiosk, 'kiosk-offline');
      await screenshots(wallet, 'wallet-core-stopped');

      // The core back: the background sync forwards the payment and the core settles it.
      await core.click();
      await expect.poll(() => text(core), { timeout: 60_000 }).toContain('Stop the core');
      expect(world.coreRunning()).toBe(true);
      await kiosk.getByRole('button', { name: zh('result.next') }).click();
      await kiosk.getByRole('button', { name: zh('nav.payments'), exact: true }).click();
      const row = paymentRow('¥8.00');
      await row.waitFor();
      // The list is read when asked for; the sync retries with a backoff of up to a minute.
      await expect
        .poll(
          async () => {
            await kiosk.getByRole('button', { name: zh('payments.refresh'), exact: true }).click();
            return row.getAttribute('data-status');
          },
          { timeout: 150_000, interval: 1_000 },
        )
        .toBe('settled');
      expect(await text(row)).toContain(zh('payment.settled'));
      expect(await paymentRow('¥12.50').getAttribute('data-status')).toBe('approved');
      await banner().waitFor({ state: 'detached', timeout: 60_000 });
      expect((await api<HostStatus>('/status')).queue.pending).toBe(0);
      await screenshots(kiosk, 'kiosk-payments');

      await reloadWallet();
      await expect.poll(() => shownBalance(), { timeout: 30_000 }).toBe('¥479.50');
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  test(
    'a void of the online payment: a wrong PIN, then the supervisor PIN the demo page shows',
    async () => {
      // The demo page tells the newcomer the PIN.
      expect(await text(wallet.locator('#supervisor'))).toBe(DEMO_SUPERVISOR_PIN);

      await kiosk.locator('.payments-screen').waitFor();
      const row = paymentRow('¥12.50');
      await row.getByRole('button').click();
      await kiosk.locator('.receipt-picture__img').waitFor({ timeout: 30_000 });
      await kiosk.getByRole('button', { name: zh('receipt.void') }).click();
      await kiosk
        .getByRole('heading', { name: translate('zh-CN', 'supervisor.title.void', { amount: '¥12.50' }) })
        .waitFor();

      const wrong = '0000';
      expect(wrong).not.toBe(DEMO_SUPERVISOR_PIN);
      // The first digit by touch: once its dot shows, the pad's keyboard listener is in place (it
      // is attached after the first paint, and a key typed before then would be lost).
      const pinKeys = kiosk.locator('.pin-keys');
      await pinKeys.getByRole('button', { name: wrong[0], exact: true }).click();
      await expect.poll(() => kiosk.locator('.pin-dot--filled').count()).toBe(1);
      await kiosk.keyboard.type(wrong.slice(1));
      await expect.poll(() => kiosk.locator('.pin-dot--filled').count()).toBe(wrong.length);
      await kiosk.keyboard.press('Enter');
      const problem = kiosk.locator('.pin-problem');
      await expect.poll(() => problem.getAttribute('data-problem'), { timeout: 30_000 }).toBe('wrong');
      expect(await text(problem)).toBe(translate('zh-CN', 'pin.wrong', { left: PIN_ATTEMPTS - 1 }));
      expect(await kiosk.locator('.pin-dot--filled').count()).toBe(0);
      await screenshots(kiosk, 'kiosk-void-wrong-pin');
      expect((await api<PaymentList>('/payments?limit=5')).payments.map((p) => p.status)).not.toContain(
        'voided',
      );

      // The right PIN by touch: the core reverses the same-day approval, then the terminal records it.
      for (const digit of DEMO_SUPERVISOR_PIN) {
        await pinKeys.getByRole('button', { name: digit, exact: true }).click();
      }
      await pinKeys.getByRole('button', { name: zh('pin.ok') }).click();
      const done = kiosk.locator('.supervisor-done');
      await done.waitFor({ timeout: 60_000 });
      expect(await text(done)).toContain(translate('zh-CN', 'supervisor.done', { amount: '¥12.50' }));
      expect(await done.locator('.state-badge').getAttribute('data-status')).toBe('voided');
      await screenshots(kiosk, 'kiosk-voided');

      const { payments } = await api<PaymentList>('/payments?limit=5');
      expect(payments.map((p) => `${formatMoney(p.amount)} ${p.status}`).sort()).toEqual([
        '¥12.50 voided',
        '¥8.00 settled',
      ]);
      // Enter (the focus is on the way back, once the screen has put it there) leads to today's
      // payments, the void among them.
      await expect
        .poll(() => kiosk.evaluate(() => document.activeElement?.textContent?.trim()))
        .toBe(zh('supervisor.backToPayments'));
      await kiosk.keyboard.press('Enter');
      await kiosk.getByRole('heading', { name: zh('payments.title') }).waitFor();
      await expect.poll(() => row.getAttribute('data-status')).toBe('voided');

      // The wallet has its ¥12.50 back.
      await reloadWallet();
      await expect.poll(() => shownBalance(), { timeout: 30_000 }).toBe('¥492.00');
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  test('the kiosk’s keypad and the wallet page at the four sizes', async () => {
    await kiosk.getByRole('button', { name: zh('nav.checkout') }).click();
    await kiosk.locator('.keypad-screen').waitFor();
    await touchAmount(kiosk, '36');
    await screenshots(kiosk, 'kiosk-keypad');
    await screenshots(wallet, 'wallet-after-void');
    for (const size of SIZES) {
      for (const name of ['kiosk-keypad', 'wallet', 'kiosk-approved', 'kiosk-offline', 'kiosk-voided']) {
        expect(fs.existsSync(path.join(artifacts, `demo-${name}-${size.width}x${size.height}.png`))).toBe(
          true,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});
