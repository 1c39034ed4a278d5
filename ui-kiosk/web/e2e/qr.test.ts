/**
 * The merchant's QR in Chromium, on `suanpan demo`'s world (the reference core on PGlite, the demo
 * wallet, the simulators, the terminal activated): one page is the kiosk, a second page of the
 * same browser the demo wallet (`/demo/wallet#token=…`), standing in for the customer's phone.
 *
 * 1. Paid: ¥12.50 on the keypad, "show QR code"; the QR is drawn (one SVG path) with the amount and
 *    a countdown, large enough to scan and whole at each of the four sizes (screenshots into
 *    test-artifacts/kiosk/demo-kiosk-qr-*), and a QR decoder reads the order from a screenshot of
 *    it; the wallet page offers that order and pays it; the kiosk shows the approval.
 * 2. Cancelled: "show QR code", then Cancel: back to the keypad, the order no longer offered, and
 *    the payment declined in today's payments, with the reason in words.
 */
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsqr from 'jsqr';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { PaymentList } from '../../../device/host/api-schema.ts';
import { formatMoney } from '../../../sync/protocol/money.ts';
import { ORDER_QR_PREFIX } from '../../../sync/protocol/wire.ts';
import { PTY_SKIP_REASON, SKIP_PTY } from '../../../test-hardware/pty.ts';
import { translate } from '../src/i18n/dictionary.ts';
import {
  artifacts,
  checkLayout,
  type DemoKioskWorld,
  en,
  SIZES,
  SKIP_BROWSER,
  startDemoKioskWorld,
  text,
  zh,
} from './kiosk-browser.ts';

// jsqr is CommonJS whose types declare only an ES default export: under NodeNext the default import
// is module.exports, and jsqr sets module.exports.default to the same function (as render.test.ts).
const jsQR = jsqr.default;

const SKIP = SKIP_BROWSER || SKIP_PTY;
if (SKIP_PTY) console.warn(`QR browser tests skipped: the demo's scanner ${PTY_SKIP_REASON}`);
/** PGlite's first start, a renderer build and a loaded machine: minutes, not seconds, at worst. */
const SLOW = 180_000;
/** The smallest QR a phone reads at arm's length from a counter screen, in CSS pixels. */
const MIN_QR_PX = 200;

let world: DemoKioskWorld | undefined;
let kiosk: Page;
let wallet: Page;
/** What went wrong in either page: console errors, uncaught exceptions, refused requests. */
const problems: string[] = [];

function watch(page: Page, name: string): void {
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    // The demo wallet page links no icon; the browser asks for one anyway.
    if (response.status() < 400 || pathname === '/favicon.ico') return;
    problems.push(`${name}: ${response.request().method()} ${pathname} answered ${response.status()}`);
  });
}

beforeAll(async () => {
  if (SKIP) return;
  world = await startDemoKioskWorld({ name: 'qr' });
  const context = await world.browser.newContext({ viewport: SIZES[0] });
  kiosk = await context.newPage();
  wallet = await context.newPage();
  watch(kiosk, 'kiosk');
  watch(wallet, 'wallet');
  await kiosk.goto(world.host.kioskUrl);
  await wallet.goto(`${world.host.url}/demo/wallet#token=${world.host.token}`);
}, SLOW);

beforeEach(({ onTestFailed }) => {
  onTestFailed(async ({ task }) => {
    const name = task.name.replace(/\W+/g, '-').slice(0, 40);
    await kiosk?.screenshot({ path: path.join(artifacts, `qr-failed-${name}-kiosk.png`) }).catch(() => {});
    await wallet?.screenshot({ path: path.join(artifacts, `qr-failed-${name}-wallet.png`) }).catch(() => {});
  });
});

afterAll(async () => {
  await world?.close();
}, SLOW);

async function api<T>(route: string): Promise<T> {
  const host = (world as DemoKioskWorld).host;
  const response = await fetch(`${host.url}/api${route}`, {
    headers: { authorization: `Bearer ${host.token}` },
  });
  expect(response.status, `GET /api${route}`).toBe(200);
  return (await response.json()) as T;
}

/** Amount on the keypad by touch, "charge", the kiosk waiting for a code; then "show QR code". */
async function showQr(amount: string): Promise<void> {
  await kiosk.locator('.keypad-screen').waitFor();
  for (const key of amount) {
    const name = key === '.' ? zh('keypad.point') : key;
    await kiosk.locator('.keypad').getByRole('button', { name, exact: true }).click();
  }
  await kiosk.locator('.key--charge').click();
  await kiosk.getByRole('heading', { name: zh('wait.title') }).waitFor();
  const button = kiosk.getByRole('button', { name: zh('wait.qrShow') });
  // Offered once the core has answered (the status says so within a sync or two).
  await expect.poll(() => button.isEnabled(), { timeout: 60_000 }).toBe(true);
  expect(await kiosk.locator('.qr-offer__reason').count()).toBe(0);
  await button.click();
  await kiosk.locator('.qr-screen').waitFor({ timeout: 30_000 });
}

/** The text a QR decoder reads from a screenshot of the QR on screen. */
async function readQr(): Promise<string | null> {
  const png = await kiosk.locator('.qr-code').screenshot();
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data, width, height } = context.getImageData(0, 0, image.width, image.height);
  return (
    jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height)?.data ?? null
  );
}

/** The QR's box: large enough to scan, and whole on the screen. */
async function checkQrSize(what: string): Promise<void> {
  const box = await kiosk.locator('.qr-code').boundingBox();
  const viewport = kiosk.viewportSize();
  if (!box || !viewport) throw new Error(`${what}: the QR is not on screen`);
  expect(Math.min(box.width, box.height), `${what}: QR size`).toBeGreaterThanOrEqual(MIN_QR_PX);
  expect(box.x, `${what}: QR cut off on the left`).toBeGreaterThanOrEqual(0);
  expect(box.y, `${what}: QR cut off at the top`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what}: QR cut off on the right`).toBeLessThanOrEqual(viewport.width);
  expect(box.y + box.height, `${what}: QR cut off at the bottom`).toBeLessThanOrEqual(viewport.height);
  // The words and the cancel button are on screen too, not scrolled away under the QR.
  const cancel = await kiosk.locator('.qr-screen .button--cancel').boundingBox();
  expect(cancel && cancel.y + cancel.height, `${what}: cancel below the screen`).toBeLessThanOrEqual(
    viewport.height,
  );
}

describe.skipIf(SKIP)("the merchant's QR at the kiosk, paid from the demo wallet page", () => {
  test(
    'shown with the amount and a countdown at every size, read by a QR decoder, paid from the wallet page',
    async () => {
      await kiosk.locator('.keypad-screen').waitFor({ timeout: 60_000 });
      await expect
        .poll(() => text(kiosk.locator('.online-pill')), { timeout: 60_000 })
        .toBe(zh('status.online'));
      await showQr('12.50');

      const screen = kiosk.locator('.qr-screen');
      expect(await text(screen.locator('h1'))).toBe(zh('qr.title'));
      expect(await text(screen.locator('.due-amount'))).toBe('¥12.50');
      expect(await text(screen)).toContain(zh('qr.waiting'));
      // The QR: one path, drawn from the order's text.
      const qr = screen.locator('svg.qr-code');
      expect(await qr.getAttribute('aria-label')).toBe(
        translate('zh-CN', 'qr.codeLabel', { amount: '¥12.50' }),
      );
      expect(await qr.locator('path').count()).toBe(1);
      expect(await qr.locator('path').getAttribute('d')).toMatch(/^M\d+ \d+h\d+v1h-\d+z/);
      // The countdown runs from about two minutes.
      const countdown = screen.locator('.qr-screen__countdown');
      const first = await text(countdown);
      expect(first).toMatch(/^剩余时间 0[12]:\d\d$/);
      await expect.poll(() => text(countdown), { timeout: 5_000 }).not.toBe(first);

      const read = await readQr();
      expect(read).toMatch(new RegExp(`^${ORDER_QR_PREFIX}[0-9a-f-]{36}$`));
      const paymentId = (read as string).slice(ORDER_QR_PREFIX.length);

      for (const size of SIZES) {
        const what = `QR at ${size.width}×${size.height}`;
        await kiosk.setViewportSize(size);
        await kiosk.evaluate(
          () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
        );
        await checkLayout(kiosk, what);
        await checkQrSize(what);
        expect(await readQr(), `${what}: read by a QR decoder`).toBe(read);
        await kiosk.screenshot({
          path: path.join(artifacts, `demo-kiosk-qr-${size.width}x${size.height}.png`),
        });
      }
      await kiosk.setViewportSize(SIZES[0]);
      // In English too, at the smallest size: the longer words still leave the QR whole.
      await kiosk.getByRole('button', { name: zh('language.switch') }).click();
      await kiosk.getByRole('heading', { name: en('qr.title') }).waitFor();
      expect(await text(countdown)).toMatch(/^Time left 0[01]:\d\d$/);
      await checkLayout(kiosk, 'QR in English at 800×480');
      await checkQrSize('QR in English at 800×480');
      await kiosk.screenshot({ path: path.join(artifacts, 'demo-kiosk-qr-en-800x480.png') });
      await kiosk.getByRole('button', { name: en('language.switch') }).click();
      await kiosk.getByRole('heading', { name: zh('qr.title') }).waitFor();

      // The wallet page offers the order the QR names, and pays it.
      const order = wallet.locator('#order');
      await order.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await text(order)).toContain('扫收银台二维码付款');
      expect(await text(wallet.locator('#order-amount'))).toBe('¥12.50');
      const paid = wallet.waitForResponse((r) => r.url().endsWith('/demo/api/pay-order'));
      await wallet.locator('#pay-order').click();
      const answer = await paid;
      expect(answer.status()).toBe(200);
      expect(answer.request().postDataJSON()).toEqual({ paymentId });

      const result = kiosk.locator('.result-screen');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute('data-tone')).toBe('approved');
      expect(await text(result.locator('h1'))).toBe(zh('result.approved.title'));
      expect(await text(result)).toContain('¥12.50');
      expect(await text(result)).toContain(zh('result.byQr'));
      await expect.poll(() => order.isHidden(), { timeout: 30_000 }).toBe(true);
      const { payments } = await api<PaymentList>('/payments?limit=1');
      expect(payments[0]).toMatchObject({ paymentId, status: 'approved', scheme: 'merchant_qr' });
      await kiosk.screenshot({ path: path.join(artifacts, 'demo-kiosk-qr-approved-800x480.png') });

      await kiosk.getByRole('button', { name: zh('result.next') }).click();
      await kiosk.locator('.keypad-screen').waitFor();
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  test(
    'cancelled while shown: back to the keypad, and the payment declined in today’s payments',
    async () => {
      await showQr('6.60');
      const read = await readQr();
      expect(read).toMatch(new RegExp(`^${ORDER_QR_PREFIX}`));
      const paymentId = (read as string).slice(ORDER_QR_PREFIX.length);
      await wallet.locator('#order').waitFor({ state: 'visible', timeout: 30_000 });

      await kiosk.getByRole('button', { name: zh('qr.cancel') }).click();
      // The order is cancelled at the core, then the checkout ends: the keypad for the next one.
      await kiosk.locator('.keypad-screen').waitFor({ timeout: 30_000 });
      await wallet.locator('#order').waitFor({ state: 'hidden', timeout: 30_000 });

      const { payments } = await api<PaymentList>('/payments?limit=1');
      expect(payments[0]).toMatchObject({ paymentId, status: 'declined', scheme: 'merchant_qr' });
      expect(formatMoney(payments[0]?.amount ?? { minor: 0, currency: 'CNY' })).toBe('¥6.60');

      await kiosk.getByRole('button', { name: zh('nav.payments'), exact: true }).click();
      const row = kiosk.locator('.payment-row', { hasText: '¥6.60' });
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('declined');
      expect(await text(row)).toContain(zh('payment.declined'));
      expect(await text(row)).toContain(zh('reason.qrCancelled'));
      expect(await text(row)).toContain(zh('scheme.merchant_qr'));
      expect(await kiosk.locator('.payment-row', { hasText: '¥12.50' }).getAttribute('data-status')).toBe(
        'approved',
      );
      await kiosk.screenshot({ path: path.join(artifacts, 'demo-kiosk-qr-cancelled-payments-800x480.png') });
      expect(problems).toEqual([]);
    },
    SLOW,
  );
});
