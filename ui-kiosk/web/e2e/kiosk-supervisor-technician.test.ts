import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PaymentList } from '../../../device/host/api-schema.ts';
import type { RunningHost } from '../../../device/host/host.ts';
import { PrinterSimulator } from '../../../test-hardware/printer-sim/simulator.ts';
import { type HostEvent, PIN_ATTEMPTS } from '../src/api/contract.ts';
import { translate } from '../src/i18n/dictionary.ts';
import {
  en,
  type KioskWorld,
  SIZES,
  SKIP_BROWSER,
  screenshotAtEverySize,
  startKioskWorld,
  text,
  zh,
} from './kiosk-browser.ts';

const SUPERVISOR_PIN = '1234';
const TECHNICIAN_PIN = '9999';

let host: RunningHost;
let browser: Browser;
let printer: PrinterSimulator;
let world: KioskWorld | undefined;

beforeAll(async () => {
  if (SKIP_BROWSER) return;
  printer = new PrinterSimulator();
  await printer.start();
  const { port } = await printer.listenTcp({ host: '127.0.0.1', port: 0 });
  world = await startKioskWorld({
    name: 'pins',
    settings: {
      kiosk: { supervisorPin: SUPERVISOR_PIN, technicianPin: TECHNICIAN_PIN },
      printer: { uri: `tcp://127.0.0.1:${port}` },
    },
  });
  ({ host, browser } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
  await printer?.stop();
});

const REFUSALS_EXPECTED = /^Failed to load resource: the server responded with a status of (403|409|423)\b/;

interface Kiosk {
  page: Page;
  /** Console errors and CSP refusals seen by the page. */
  problems: string[];
  /** The page's event socket, passed through to the host. */
  events?: () => WebSocketRoute;
}

async function openKiosk(options: { routeEvents?: boolean } = {}): Promise<Kiosk> {
  const context = await browser.newContext({ viewport: SIZES[0] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // Chromium logs every refused request; a wrong PIN (403) and a refused void (409) are expected.
    if (message.type() === 'error' && !REFUSALS_EXPECTED.test(message.text())) problems.push(message.text());
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
  return { page, problems, ...(route ? { events: () => route as WebSocketRoute } : {}) };
}

/** Sends the page a host event on its real socket (for what a terminal without a core can't do). */
function send(kiosk: Kiosk, event: HostEvent): void {
  kiosk.events?.().send(JSON.stringify(event));
}

/** Opens the technician screens with the technician PIN, typed. */
async function signInTechnician(page: Page): Promise<void> {
  await page.getByRole('button', { name: zh('nav.technician') }).click();
  await page.getByRole('heading', { name: zh('tech.pinTitle') }).waitFor();
  await page.keyboard.type(TECHNICIAN_PIN);
  await page.keyboard.press('Enter');
  await page.locator('.technician-panel').waitFor();
}

async function api<T>(method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${host.url}/api${route}`, {
    method,
    headers: {
      authorization: `Bearer ${host.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}

/** A payment taken at the kiosk with the keyboard: amount, Enter, the code typed, Enter. */
async function payByKeyboard(page: Page, amount: string, code: string): Promise<void> {
  // At a person's pace: four keys and Enter typed faster than 30 ms apart are a scanner's burst.
  await page.keyboard.type(amount, { delay: 150 });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.locator('.result-screen[data-tone="offline"]').waitFor();
}

/** The first payment of today's list, opened on its receipt screen. */
async function openFirstPayment(page: Page, language: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  const t = language === 'en' ? en : zh;
  await page.getByRole('button', { name: t('nav.payments'), exact: true }).click();
  await page.locator('.payment-row').first().waitFor();
  await page.locator('.payment-row').first().getByRole('button').click();
  await page.locator('.receipt-picture__img').waitFor();
}

/** Counts the dots the PIN pad shows filled, and checks that the digits typed are not shown. */
async function pinDots(page: Page, typed: string): Promise<number> {
  const panel = await page.locator('.pin-panel').evaluate((el) => el.outerHTML);
  expect(panel, 'the PIN never appears on the PIN pad').not.toContain(typed);
  return page.locator('.pin-dot--filled').count();
}

describe.skipIf(SKIP_BROWSER)('receipts, void, shift close and the technician screens', () => {
  test('from the result: the receipt picture through a blob: URL, and a reprint that prints', async () => {
    const { page, problems } = await openKiosk();
    await payByKeyboard(page, '12.5', '281234567890123456');
    // The receipt printed with the payment: the simulator has it.
    await printer.waitForReceipts(1, 10_000);

    await page.getByRole('button', { name: zh('result.receipt') }).click();
    const picture = page.locator('.receipt-picture__img');
    await picture.waitFor();
    expect(await picture.getAttribute('src')).toMatch(/^blob:/);
    expect(await picture.getAttribute('alt')).toBe(translate('zh-CN', 'receipt.alt', { amount: '¥12.50' }));
    await expect
      .poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(300);
    expect(await text(page.locator('.receipt-side'))).toContain(zh('payment.accepted_offline'));
    // A cashier's receipt screen from the result offers no void or refund.
    expect(await page.getByRole('button', { name: zh('receipt.void') }).count()).toBe(0);

    const before = printer.receipts.length;
    await page.getByRole('button', { name: zh('receipt.reprint') }).click();
    const note = page.locator('.print-note--printed');
    await note.waitFor();
    expect(await text(note)).toBe(zh('print.printed'));
    await printer.waitForReceipts(before + 1, 10_000);
    await screenshotAtEverySize(page, 'receipt');

    // Escape goes back to the result, Enter then to the keypad (once the result's guard against a
    // double Enter has passed).
    await page.keyboard.press('Escape');
    await page.locator('.result-screen').waitFor();
    await page.waitForTimeout(900);
    await page.keyboard.press('Enter');
    await page.locator('.keypad').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('void from today’s payments: dots only, a wrong PIN with the tries left, then the host’s refusal', async () => {
    const { page, problems } = await openKiosk();
    await openFirstPayment(page);
    await screenshotAtEverySize(page, 'payment-from-list');
    await page.getByRole('button', { name: zh('receipt.void') }).click();
    await page
      .getByRole('heading', { name: translate('zh-CN', 'supervisor.title.void', { amount: '¥12.50' }) })
      .waitFor();

    // Typed on the keyboard: one dot per digit, the digits themselves nowhere.
    await page.keyboard.type('00');
    expect(await pinDots(page, '00')).toBe(2);
    await page.keyboard.press('Backspace');
    expect(await pinDots(page, '00')).toBe(1);
    await page.keyboard.type('000');
    await page.keyboard.press('Enter');
    const problem = page.locator('.pin-problem');
    await problem.waitFor();
    expect(await problem.getAttribute('data-problem')).toBe('wrong');
    expect(await text(problem)).toBe(translate('zh-CN', 'pin.wrong', { left: PIN_ATTEMPTS - 1 }));
    expect(await pinDots(page, '0000')).toBe(0);
    await screenshotAtEverySize(page, 'pin-wrong');

    // The right PIN, by touch: the host refuses to void a payment accepted offline, and says why.
    for (const digit of SUPERVISOR_PIN) {
      await page.locator('.pin-keys').getByRole('button', { name: digit, exact: true }).click();
    }
    expect(await pinDots(page, SUPERVISOR_PIN)).toBe(4);
    await page
      .locator('.pin-keys')
      .getByRole('button', { name: zh('pin.ok') })
      .click();
    await expect.poll(() => problem.getAttribute('data-problem')).toBe('refused');
    const refusal = await text(problem);
    expect(refusal.startsWith(translate('zh-CN', 'pin.refused', { message: '' }))).toBe(true);
    expect(refusal.length).toBeGreaterThan(translate('zh-CN', 'pin.refused', { message: '' }).length);
    expect(await page.locator('.pin-keys .key').first().isDisabled()).toBe(true);
    await screenshotAtEverySize(page, 'pin-refused');

    // The payment stands, and the way back leads to it.
    const { payments } = await api<PaymentList>('GET', '/payments?limit=5');
    expect(payments.map((p) => p.status)).not.toContain('voided');
    await page.getByRole('button', { name: zh('common.back') }).click();
    await page.locator('.receipt-picture__img').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('a void the host accepts: the payment’s new state, and back to today’s payments', async () => {
    // An offline terminal can void nothing (see above): the host's answer for an approved payment
    // is given in its place, as the host sends it.
    const { page } = await openKiosk();
    await page.route('**/api/payments/*/void', async (route) => {
      const { payments } = await api<PaymentList>('GET', '/payments?limit=1');
      const payment = { ...payments[0], status: 'voided', updatedAt: new Date().toISOString() };
      await route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ payment }),
      });
    });
    await openFirstPayment(page);
    await page.getByRole('button', { name: zh('receipt.void') }).click();
    await page.keyboard.type(SUPERVISOR_PIN);
    await page.keyboard.press('Enter');
    const done = page.locator('.supervisor-done');
    await done.waitFor();
    expect(await text(done)).toContain(translate('zh-CN', 'supervisor.done', { amount: '¥12.50' }));
    expect(await done.locator('.state-badge').getAttribute('data-status')).toBe('voided');
    await screenshotAtEverySize(page, 'void-done');
    // The focus is on the way back: Enter takes it. (The list is read again from the host, which
    // voided nothing here.)
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: zh('payments.title') }).waitFor();
    await page.context().close();
  });

  test('shift close: a confirmation, then the report by state and scheme, printed', async () => {
    const { page, problems } = await openKiosk();
    await page.getByRole('button', { name: zh('nav.shift') }).click();
    await page.getByRole('heading', { name: zh('shift.title') }).waitFor();
    await screenshotAtEverySize(page, 'shift-confirm');
    const before = printer.receipts.length;
    // The confirm button has the focus: Enter closes the shift.
    await page.keyboard.press('Enter');
    const report = page.locator('.shift-report');
    await report.waitFor();
    expect(await text(report.locator('h1'))).toBe(translate('zh-CN', 'shift.reportTitle', { no: 1 }));
    expect(await text(report.locator('[data-total="taken"]'))).toBe('¥12.50');
    const offline = report.locator('tr[data-key="accepted_offline"]');
    expect(await text(offline)).toMatch(/离线已收，待上传\s+1\s+¥12\.50/);
    expect(await text(report.locator('tr[data-key="demo"]'))).toMatch(/演示钱包\s+1\s+¥12\.50/);
    await report.locator('.print-note--printed').waitFor();
    await printer.waitForReceipts(before + 1, 10_000);
    await screenshotAtEverySize(page, 'shift-report');
    await page.getByRole('button', { name: zh('shift.done') }).click();
    await page.locator('.keypad').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('technician: the PIN, the print test, a scan test, an activation card filling the form, every tab', async () => {
    const { page, problems } = await openKiosk();
    await page.getByRole('button', { name: zh('nav.technician') }).click();
    await page.getByRole('heading', { name: zh('tech.pinTitle') }).waitFor();
    await screenshotAtEverySize(page, 'technician-pin');
    await page.keyboard.type('1111');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.pin-problem').getAttribute('data-problem')).toBe('wrong');
    await page.keyboard.type(TECHNICIAN_PIN);
    await page.keyboard.press('Enter');

    // Not activated: the desk opens on activation.
    const panel = page.locator('.technician-panel');
    await expect.poll(() => panel.getAttribute('data-panel')).toBe('activation');
    await expect.poll(() => text(panel)).toContain(zh('activation.inactive'));
    await screenshotAtEverySize(page, 'technician-activation');

    await page.getByRole('button', { name: zh('tech.tab.devices') }).click();
    expect(await text(panel)).toContain(zh('devices.printer.ready'));
    const before = printer.receipts.length;
    await page.getByRole('button', { name: zh('devices.printTest') }).click();
    const printed = panel.locator('[data-test="print"] .print-note--printed');
    await printed.waitFor();
    expect(await text(printed)).toBe(zh('print.printed'));
    await printer.waitForReceipts(before + 1, 10_000);

    // The scan test shows the next scans, as the host routes them.
    await page.getByRole('button', { name: zh('devices.scanTest') }).click();
    await panel.locator('.busy-line').waitFor();
    await api('POST', '/scan', { data: '6901234567892' });
    const scanned = panel.locator('.scan-list__item[data-kind="product"]');
    await scanned.waitFor();
    expect(await text(scanned)).toContain(zh('scanKind.product'));
    expect(await text(scanned)).toContain('6901234567892');
    await screenshotAtEverySize(page, 'technician-devices');
    await page.getByRole('button', { name: zh('devices.scanTestStop') }).click();

    // Outside the scan test, an activation card fills the activation form.
    await api('POST', '/scan', {
      data: 'suanpan://activate?core=https%3A%2F%2Fcore.example&code=ABCD-EFGH-JKMN',
    });
    await expect.poll(() => panel.getAttribute('data-panel')).toBe('activation');
    expect(await page.getByLabel(zh('activation.core')).inputValue()).toBe('https://core.example');
    expect(await page.getByLabel(zh('activation.code')).inputValue()).toBe('ABCD-EFGH-JKMN');
    expect(await text(panel)).toContain(zh('activation.scanned'));

    for (const [tab, shown, name] of [
      ['sync', '.sync-panel', 'technician-sync'],
      ['policy', '.policy-panel', 'technician-policy'],
      ['logs', '.logs-panel', 'technician-logs'],
      ['about', '.about-panel', 'technician-version'],
    ] as const) {
      await page.locator(`.tab-button[data-tab="${tab}"]`).click();
      await panel.locator(shown).waitFor();
      await screenshotAtEverySize(page, name);
    }
    expect(await text(panel.locator('[data-fact="version"]'))).toMatch(/^\d+\.\d+\.\d+/);
    await page.locator('.tab-button[data-tab="policy"]').click();
    expect(await text(panel.locator('tr[data-limit="perPayment"]'))).toMatch(/¥200\.00\s+默认值/);
    await page.locator('.tab-button[data-tab="sync"]').click();
    expect(await page.getByRole('button', { name: zh('syncPanel.now') }).isDisabled()).toBe(true);

    // Leaving ends the session: coming back asks for the PIN again.
    await page.getByRole('button', { name: zh('tech.leave') }).click();
    await page.locator('.keypad').waitFor();
    await page.getByRole('button', { name: zh('nav.technician') }).click();
    await page.getByRole('heading', { name: zh('tech.pinTitle') }).waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('technician: a session the host has ended brings the PIN pad back, saying so', async () => {
    const { page } = await openKiosk();
    await signInTechnician(page);
    // The desk's first load must be answered before the route below goes in: a desk that gets the
    // 401 on that load goes straight back to the PIN pad, with no refresh button to press.
    const refresh = page.getByRole('button', { name: zh('tech.refresh') });
    await refresh.waitFor();
    // As the host answers once the session has gone 15 minutes unused.
    await page.route('**/api/technician/overview', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'TECHNICIAN_SESSION', message: 'ended' } }),
      }),
    );
    await refresh.click();
    await page.getByRole('heading', { name: zh('tech.pinTitle') }).waitFor();
    expect(await text(page.locator('.form-note'))).toBe(zh('tech.expired'));
    await page.context().close();
  });

  test('technician: on a terminal with no technician PIN the pad says so and stays shut', async () => {
    const { page } = await openKiosk();
    // As the host answers when settings.kiosk.technicianPin is null (this host has one set).
    await page.route('**/api/technician/session', (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'PIN_NOT_SET', message: 'no PIN' } }),
      }),
    );
    await page.getByRole('button', { name: zh('nav.technician') }).click();
    await page.keyboard.type(TECHNICIAN_PIN);
    await page.keyboard.press('Enter');
    const problem = page.locator('.pin-problem[data-problem="not_set"]');
    await problem.waitFor();
    expect(await text(problem)).toBe(zh('tech.notSet'));
    expect(await page.locator('.pin-keys .key').first().isDisabled()).toBe(true);
    await screenshotAtEverySize(page, 'technician-pin-not-set');
    await page.getByRole('button', { name: zh('common.back') }).click();
    await page.locator('.keypad').waitFor();
    await page.context().close();
  });

  test('technician: "sync now" progress from the host’s sync events, as a bar and in words', async () => {
    // A terminal without a core can't sync: the events a sync sends are fed on the page's socket.
    const kiosk = await openKiosk({ routeEvents: true });
    const { page } = kiosk;
    await signInTechnician(page);
    await page.locator('.tab-button[data-tab="sync"]').click();
    const panel = page.locator('.sync-panel');
    await panel.waitFor();
    send(kiosk, { type: 'sync', progress: { sent: 3, total: 12, done: false } });
    const bar = panel.locator('progress');
    await bar.waitFor();
    expect(await bar.getAttribute('value')).toBe('250');
    expect(await text(panel.locator('.sync-progress [role="status"]'))).toBe(
      translate('zh-CN', 'sync.progress', { sent: 3, total: 12 }),
    );
    await screenshotAtEverySize(page, 'technician-sync-progress');
    send(kiosk, { type: 'sync', progress: { sent: 12, total: 12, done: true } });
    await expect
      .poll(() => text(panel.locator('.sync-progress [role="status"]')))
      .toBe(translate('zh-CN', 'syncPanel.done', { sent: 12 }));
    expect(await bar.getAttribute('value')).toBe('1000');
    send(kiosk, { type: 'sync', progress: { sent: 0, total: 2, done: true, error: 'core unreachable' } });
    await expect
      .poll(() => text(panel.locator('.sync-progress [role="status"]')))
      .toBe(translate('zh-CN', 'syncPanel.failed', { error: 'core unreachable' }));
    await page.context().close();
  });

  test('the new screens in English', async () => {
    const { page, problems } = await openKiosk();
    await page.locator('.language-toggle').click();
    await openFirstPayment(page, 'en');
    expect(await text(page.locator('.receipt-side h1'))).toContain(en('receipt.title'));
    expect(await text(page.getByRole('button', { name: en('receipt.reprint') }))).toBe('Reprint receipt');
    await screenshotAtEverySize(page, 'receipt-english');
    await page.getByRole('button', { name: en('receipt.refund') }).click();
    await page
      .getByRole('heading', { name: translate('en', 'supervisor.title.refund', { amount: '¥12.50' }) })
      .waitFor();
    expect(await text(page.locator('.pin-panel'))).toContain(en('supervisor.explain'));
    await screenshotAtEverySize(page, 'pin-english');
    await page.keyboard.press('Escape');
    await page.locator('.receipt-picture__img').waitFor();

    await page.getByRole('button', { name: en('nav.shift') }).click();
    await page.getByRole('heading', { name: en('shift.title') }).waitFor();
    expect(await text(page.locator('.shift-screen'))).toContain(en('shift.explain'));

    await page.getByRole('button', { name: en('nav.technician') }).click();
    await page.getByRole('heading', { name: en('tech.pinTitle') }).waitFor();
    await page.keyboard.type(TECHNICIAN_PIN);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: en('tech.tab.devices') }).click();
    expect(await text(page.locator('.technician-panel'))).toContain(en('devices.printer'));
    await screenshotAtEverySize(page, 'technician-devices-english');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test(`the supervisor PIN locks after ${PIN_ATTEMPTS} wrong tries, and the pad says for how long`, async () => {
    const { page } = await openKiosk();
    await openFirstPayment(page);
    await page.getByRole('button', { name: zh('receipt.void') }).click();
    const problem = page.locator('.pin-problem');
    for (let i = 1; i < PIN_ATTEMPTS; i++) {
      await page.keyboard.type('0000');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => text(problem))
        .toBe(translate('zh-CN', 'pin.wrong', { left: PIN_ATTEMPTS - i }));
    }
    await page.keyboard.type('0000');
    await page.keyboard.press('Enter');
    await expect.poll(() => problem.getAttribute('data-problem')).toBe('locked');
    expect(await text(problem)).toMatch(/^错误次数过多，密码已锁定。请 (60|59) 秒后再试。$/);
    expect(await page.locator('.pin-keys .key').first().isDisabled()).toBe(true);
    // Keys do nothing while locked.
    await page.keyboard.type('12');
    expect(await page.locator('.pin-dot--filled').count()).toBe(0);
    await screenshotAtEverySize(page, 'pin-locked');
    await page.context().close();
  });
});
