import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HostStatus } from '../../../device/host/api-schema.ts';
import type { RunningHost } from '../../../device/host/host.ts';
import { formatMoney } from '../../../sync/protocol/money.ts';
import type { HostEvent } from '../src/api/contract.ts';
import { translate } from '../src/i18n/dictionary.ts';
import {
  en,
  type KioskWorld,
  SIZES,
  type Size,
  SKIP_BROWSER,
  screenshotAtEverySize,
  startKioskWorld,
  text,
  zh,
} from './kiosk-browser.ts';

let host: RunningHost;
let browser: Browser;
let world: KioskWorld | undefined;

async function hostStatus(): Promise<HostStatus> {
  const response = await fetch(`${host.url}/api/status`, {
    headers: { authorization: `Bearer ${host.token}` },
  });
  return (await response.json()) as HostStatus;
}

interface Kiosk {
  page: Page;
  /** Console errors and CSP refusals seen by the page. */
  problems: string[];
  /** The page's event socket, passed through to the host, for messages the host can't produce here. */
  events?: () => WebSocketRoute;
}

async function openKiosk(options: { size?: Size; routeEvents?: boolean } = {}): Promise<Kiosk> {
  const context = await browser.newContext({ viewport: options.size ?? SIZES[0] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  let route: WebSocketRoute | undefined;
  if (options.routeEvents) {
    await page.routeWebSocket(/\/api\/events$/, (ws) => {
      ws.connectToServer();
      route = ws;
    });
  }
  await page.goto(host.kioskUrl);
  await page.locator('.keypad').waitFor();
  return {
    page,
    problems,
    ...(options.routeEvents ? { events: () => route as WebSocketRoute } : {}),
  };
}

/** Presses keypad keys by touch: "12.50" → 1, 2, point, 5, 0. */
async function touchAmount(page: Page, amount: string): Promise<void> {
  for (const key of amount) {
    const name = key === '.' ? zh('keypad.point') : key;
    await page.locator('.keypad').getByRole('button', { name, exact: true }).click();
  }
}

function banner(page: Page) {
  return page.locator('.offline-banner');
}

async function bannerStat(page: Page, stat: string): Promise<string> {
  return (await text(banner(page).locator(`[data-stat="${stat}"] dd`))).replace(/\s+/g, ' ').trim();
}

function send(kiosk: Kiosk, event: HostEvent): void {
  kiosk.events?.().send(JSON.stringify(event));
}

beforeAll(async () => {
  if (SKIP_BROWSER) return;
  world = await startKioskWorld({ name: 'e2e' });
  ({ host, browser } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe.skipIf(SKIP_BROWSER)('the kiosk against a terminal with no core', () => {
  test('opens in Chinese, takes the token out of the address bar, and shows the offline banner', async () => {
    const { page, problems } = await openKiosk();
    expect(page.url()).toBe(`${host.url}/`);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await expect.poll(() => banner(page).isVisible()).toBe(true);
    expect(await text(banner(page))).toContain(zh('offline.title.offline_only'));
    expect(await bannerStat(page, 'stored')).toBe('0 笔 · ¥0.00');
    expect(await text(page.locator('h1'))).toBe(zh('keypad.title'));
    expect(problems).toEqual([]);
    await screenshotAtEverySize(page, 'keypad-empty');
    await page.context().close();
  });

  test('an offline checkout of ¥12.50 with the code typed: accepted offline, and the banner counts it', async () => {
    const { page, problems } = await openKiosk();
    await touchAmount(page, '12.50');
    expect(await text(page.locator('.amount-display'))).toContain('¥12.50');
    await screenshotAtEverySize(page, 'keypad-typed');
    await page.locator('.key--charge').click();

    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    expect(await text(page.locator('.due-amount'))).toBe('¥12.50');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('manual-code');
    // No core, so no merchant's QR: the button is held back, and says why.
    const showQr = page.getByRole('button', { name: zh('wait.qrShow') });
    expect(await showQr.isDisabled()).toBe(true);
    expect(await text(page.locator('.qr-offer__reason'))).toBe(zh('wait.qrNoCore'));
    expect(await showQr.getAttribute('aria-describedby')).toBe('qr-held-back');
    await screenshotAtEverySize(page, 'waiting-for-code');
    await page.getByLabel(zh('wait.manualLabel')).fill('281234567890123456');
    await page.getByRole('button', { name: zh('wait.manualSubmit') }).click();

    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('offline');
    expect(await text(result.locator('h1'))).toBe(zh('result.accepted_offline.title'));
    expect(await text(result)).toContain('¥12.50');
    expect(await text(result)).toContain('28************3456');

    const status = await hostStatus();
    expect(status.queue.pending).toBe(1);
    const room = status.queue.remaining;
    await expect.poll(() => bannerStat(page, 'stored')).toBe('1 笔 · ¥12.50');
    expect(await bannerStat(page, 'next-max')).toBe(formatMoney(room.nextPaymentMax));
    expect(await bannerStat(page, 'amount-left')).toBe('¥1,987.50');
    expect(formatMoney(room.totalStored)).toBe('¥1,987.50');
    expect(await bannerStat(page, 'count-left')).toBe(`${room.storedCount} 笔`);
    expect(room.storedCount).toBe(199);
    expect(await bannerStat(page, 'sync-due')).toMatch(new RegExp(`^${room.hoursLeft} 小时`));
    await screenshotAtEverySize(page, 'result-accepted-offline');

    await page.getByRole('button', { name: zh('result.next') }).click();
    expect(await text(page.locator('.amount-display'))).toContain('¥0');

    await page.getByRole('button', { name: zh('nav.payments') }).click();
    const row = page.locator('.payment-row').first();
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('accepted_offline');
    expect(await text(row)).toContain('¥12.50');
    expect(await text(row)).toContain(zh('payment.accepted_offline'));
    await screenshotAtEverySize(page, 'payments');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('refuses ¥200.01 offline before the code is spent, naming the per-payment limit', async () => {
    const { page } = await openKiosk();
    await touchAmount(page, '200.01');
    const warning = page.locator('.limit-warning');
    await warning.waitFor();
    expect(await text(warning)).toContain('超过离线单笔限额 ¥200.00，多了 ¥0.01');
    expect(await text(warning)).toContain(zh('keypad.blocked'));
    expect(await page.locator('.key--charge').isDisabled()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.locator('.keypad').isVisible()).toBe(true);
    await screenshotAtEverySize(page, 'keypad-over-offline-limit');
    // ¥200.00 is within the limit.
    await page.keyboard.press('Backspace');
    await page.keyboard.press('0');
    expect(await warning.count()).toBe(0);
    expect(await page.locator('.key--charge').isEnabled()).toBe(true);
    expect((await hostStatus()).queue.pending).toBe(1);
    await page.context().close();
  });

  test('works with the keyboard alone: amount, Enter, Escape to cancel, code, Enter', async () => {
    const { page } = await openKiosk();
    // A touch first, so the focus sits on a keypad button: Enter must charge, not press "5" again.
    await touchAmount(page, '5');
    await page.keyboard.type('9');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    expect(await text(page.locator('.due-amount'))).toBe('¥5.00');

    await page.keyboard.press('Escape');
    await page.locator('.keypad').waitFor();
    expect(await text(page.locator('.amount-display'))).toContain('¥5');

    await page.keyboard.press('Escape');
    await page.keyboard.type('8.8');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    expect(await text(page.locator('.due-amount'))).toBe('¥8.80');
    await page.keyboard.type('281234567890123457');
    await page.keyboard.press('Enter');
    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('offline');
    await page.waitForTimeout(900);
    await page.keyboard.press('Enter');
    await page.locator('.keypad').waitFor();
    await page.context().close();
  });

  test('a payment code used before: not taken, said in words', async () => {
    const { page } = await openKiosk();
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await page.getByLabel(zh('wait.manualLabel')).fill('281234567890123456');
    await page.keyboard.press('Enter');
    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('failed');
    expect(await text(result.locator('h1'))).toBe(zh('result.failed.title'));
    expect(await text(result)).toContain(zh('reason.codeReused'));
    await screenshotAtEverySize(page, 'result-code-used');
    await page.context().close();
  });

  test('what is not a payment code is refused on the waiting screen, which keeps waiting', async () => {
    const { page } = await openKiosk();
    await page.keyboard.type('4');
    await page.keyboard.press('Enter');
    await page.getByLabel(zh('wait.manualLabel')).fill('12345');
    await page.keyboard.press('Enter');
    await page.locator('.manual-code .form-error').waitFor();
    expect(await text(page.locator('.manual-code .form-error'))).toBe(zh('reason.invalidCode'));
    await page.getByRole('button', { name: zh('wait.cancel') }).click();
    await page.locator('.keypad').waitFor();
    await page.context().close();
  });

  test('the language switch changes the texts, and is remembered', async () => {
    const { page } = await openKiosk();
    const toggle = page.locator('.language-toggle');
    expect(await text(toggle)).toMatch(/中文\s*\/\s*EN/);
    await toggle.click();
    expect(await text(page.locator('h1'))).toBe(en('keypad.title'));
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await text(banner(page))).toContain(en('offline.title.offline_only'));
    expect(await bannerStat(page, 'stored')).toMatch(/^2 payments · ¥21\.30$/);
    expect(await text(page.locator('.key--charge'))).toBe('Charge');
    await screenshotAtEverySize(page, 'keypad-english');
    await page.reload();
    await page.locator('.keypad').waitFor();
    expect(await text(page.locator('h1'))).toBe(en('keypad.title'));
    await page.locator('.language-toggle').click();
    expect(await text(page.locator('h1'))).toBe(zh('keypad.title'));
    await page.context().close();
  });
});

describe.skipIf(SKIP_BROWSER)('screens for host events a terminal without a core cannot produce', () => {
  const cny = (minor: number) => ({ minor, currency: 'CNY' });
  const payment = (change: Record<string, unknown>) => ({
    paymentId: 'injected-payment',
    seq: 99,
    amount: cny(3300),
    scheme: 'alipay',
    codeMasked: '28************9999',
    mode: 'online' as const,
    status: 'unknown' as const,
    reason: 'No answer from the payment core in time.',
    capturedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...change,
  });

  test('a payment in doubt: says to check and not to pay again, then shows the answer', async () => {
    const kiosk = await openKiosk({ routeEvents: true });
    const { page } = kiosk;
    const base = { checkoutId: 'injected-1', amount: cny(3300) };
    send(kiosk, { type: 'checkout', checkout: { ...base, phase: 'working' } });
    await page.getByRole('heading', { name: zh('work.title') }).waitFor();
    await screenshotAtEverySize(page, 'working');
    send(kiosk, { type: 'checkout', checkout: { ...base, phase: 'done', payment: payment({}) } });
    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('unknown');
    const shown = await text(result);
    expect(shown).toContain(zh('result.unknown.title'));
    expect(shown).toContain(zh('result.unknown.doNotPay'));
    expect(shown).toContain(zh('result.unknown.detail'));
    await screenshotAtEverySize(page, 'result-in-doubt');
    // A stray Enter does not leave a payment in doubt.
    await page.waitForTimeout(900);
    await page.keyboard.press('Enter');
    expect(await result.getAttribute('data-tone')).toBe('unknown');

    send(kiosk, {
      type: 'payment',
      payment: payment({
        status: 'approved',
        reason: null,
        updatedAt: new Date(Date.now() + 1000).toISOString(),
      }),
    });
    await expect.poll(() => result.getAttribute('data-tone')).toBe('approved');
    expect(await text(result.locator('h1'))).toBe(zh('result.approved.title'));
    await screenshotAtEverySize(page, 'result-approved');
    await page.getByRole('button', { name: zh('result.next') }).click();
    await page.context().close();
  });

  test("an online decline gives the core's reason in the cashier's words", async () => {
    const kiosk = await openKiosk({ routeEvents: true });
    const { page } = kiosk;
    const base = { checkoutId: 'injected-2', amount: cny(3300) };
    send(kiosk, { type: 'checkout', checkout: { ...base, phase: 'waiting_code' } });
    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    send(kiosk, {
      type: 'checkout',
      checkout: {
        ...base,
        phase: 'done',
        payment: payment({ status: 'declined', reason: 'insufficient balance' }),
      },
    });
    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('declined');
    expect(await text(result)).toContain(zh('reason.balance'));
    await screenshotAtEverySize(page, 'result-declined');
    await page.context().close();
  });

  test('a payment declined after sync stands out in the list', async () => {
    const kiosk = await openKiosk({ routeEvents: true });
    const { page } = kiosk;
    await page.getByRole('button', { name: zh('nav.payments') }).click();
    await page.locator('.payment-row').first().waitFor();
    send(kiosk, {
      type: 'payment',
      payment: payment({
        seq: 1000,
        status: 'declined_after_sync',
        mode: 'offline',
        reason: 'insufficient balance',
      }),
    });
    const row = page.locator('.payment-row--declined_after_sync');
    await row.waitFor();
    expect(await text(row)).toContain(zh('payment.declined_after_sync'));
    expect(await text(page.locator('.lost-alert'))).toBe(
      translate('zh-CN', 'payments.declinedAfterSync', { count: 1 }),
    );
    await screenshotAtEverySize(page, 'payments-declined-after-sync');
    await page.context().close();
  });
});

describe.skipIf(SKIP_BROWSER)('the link to the host', () => {
  test('without a token the page says how to open it; with a wrong one, that the terminal refused it', async () => {
    const context = await browser.newContext({ viewport: SIZES[0] });
    const page = await context.newPage();
    await page.goto(`${host.url}/`);
    expect(await text(page.locator('h1'))).toBe(zh('host.noToken.title'));
    await page.goto(`${host.url}/#token=not-this-boots-token`);
    await page.reload();
    await expect.poll(() => text(page.locator('h1')), { timeout: 15_000 }).toBe(zh('host.badToken.title'));
    expect(page.url()).toBe(`${host.url}/`);
    await context.close();
  });

  test('says the connection is lost while the host is away, and recovers when it is back', async () => {
    const { page } = await openKiosk();
    const port = Number(new URL(host.url).port);
    const token = host.token;
    await host.close();
    const lost = page.locator('.connection-banner');
    await lost.waitFor();
    await expect.poll(() => text(lost), { timeout: 15_000 }).toContain(zh('host.lost.title'));
    await page.keyboard.type('6');
    expect(await page.locator('.key--charge').isDisabled()).toBe(true);
    await screenshotAtEverySize(page, 'connection-lost');

    host = await (world as KioskWorld).restartHost({ port, token });
    await lost.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('.key--charge').isEnabled()).toBe(true);
    expect(await bannerStat(page, 'stored')).toBe('2 笔 · ¥21.30');
    await page.context().close();
  });
});
