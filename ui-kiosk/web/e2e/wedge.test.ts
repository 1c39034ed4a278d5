import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import type { HostEvent, HostStatus, KioskScan } from '../../../device/host/api-schema.ts';
import type { RunningHost } from '../../../device/host/host.ts';
import type { KioskScanAnswer, KioskScanBody } from '../src/api/contract.ts';
import { type KioskWorld, SIZES, SKIP_BROWSER, startKioskWorld, text, zh } from './kiosk-browser.ts';

// The body the renderer sends is one the host takes, and the answer is what the host sends.
type Holds<T extends true> = T;
type Assignable<From, To> = [From] extends [To] ? true : false;
type HostScan = Extract<HostEvent, { type: 'scan' }>['scan'];
export type KioskScanContract = [
  Holds<Assignable<KioskScanBody, z.input<typeof KioskScan>>>,
  Holds<Assignable<{ scan: HostScan }, KioskScanAnswer>>,
];

const SCANNER = { delay: 8 } as const;
const PERSON = { delay: 150 } as const;

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
  problems: string[];
  /** The page's calls that carry a code: the wedge's scans and the manual field's submits. */
  codeCalls: { path: string; body: unknown }[];
}

async function openKiosk(): Promise<Kiosk> {
  const context = await browser.newContext({ viewport: SIZES[1] });
  const page = await context.newPage();
  const problems: string[] = [];
  const codeCalls: Kiosk['codeCalls'] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('request', (request: Request) => {
    const { pathname } = new URL(request.url());
    if (pathname === '/api/scan' || pathname === '/api/checkout/code') {
      codeCalls.push({ path: pathname, body: request.postDataJSON() });
    }
  });
  await page.goto(host.kioskUrl);
  await page.locator('.keypad').waitFor();
  return { page, problems, codeCalls };
}

async function touchAmount(page: Page, amount: string): Promise<void> {
  for (const key of amount) {
    const name = key === '.' ? zh('keypad.point') : key;
    await page.locator('.keypad').getByRole('button', { name, exact: true }).click();
  }
}

/** The amount on the keypad's display, as shown ("¥12.5"). */
async function amountShown(page: Page): Promise<string | undefined> {
  return (await text(page.locator('.amount-display'))).match(/¥[\d,.]*/)?.[0];
}

/** Every value the manual code field takes from now on (an `input` event each). */
async function watchCodeField(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { codeFieldValues: string[] }).codeFieldValues = seen;
    document
      .getElementById('manual-code')
      ?.addEventListener('input', (event) => seen.push((event.target as HTMLInputElement).value));
  });
  return () => page.evaluate(() => (window as unknown as { codeFieldValues: string[] }).codeFieldValues);
}

beforeAll(async () => {
  if (SKIP_BROWSER) return;
  world = await startKioskWorld({ name: 'wedge' });
  ({ host, browser } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe.skipIf(SKIP_BROWSER)('a keyboard-wedge scanner at the kiosk', () => {
  test('a payment code at scanner speed pays the checkout of ¥12.50, and never enters the code field', async () => {
    const { page, problems, codeCalls } = await openKiosk();
    await touchAmount(page, '12.50');
    await page.locator('.key--charge').click();
    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    // The field has the focus: a scan would land in it if the kiosk didn't tell it from typing.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('manual-code');
    const fieldValues = await watchCodeField(page);

    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/scan');
    await page.keyboard.type('281234567890123456', SCANNER);
    await page.keyboard.press('Enter');
    const scan = ((await (await answer).json()) as KioskScanAnswer).scan;
    expect(scan).toMatchObject({ kind: 'payment_code', source: 'kiosk:wedge', data: '28************3456' });

    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('offline');
    expect(await text(result.locator('h1'))).toBe(zh('result.accepted_offline.title'));
    expect(await text(result)).toContain('¥12.50');
    expect(await text(result)).toContain('28************3456');
    expect(codeCalls).toEqual([{ path: '/api/scan', body: { data: '281234567890123456' } }]);
    expect(await fieldValues()).toEqual([]);
    expect((await hostStatus()).queue.pending).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test("a person's keys at 150 ms each edit the amount and fill the code field as usual", async () => {
    const { page, problems, codeCalls } = await openKiosk();
    // One digit shows within the detector's gap (100 ms) after the key, not at the next key.
    await page.keyboard.press('7');
    await expect.poll(() => amountShown(page), { timeout: 1000, interval: 20 }).toBe('¥7');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('12.5', PERSON);
    await expect.poll(() => amountShown(page)).toBe('¥12.5');
    await page.keyboard.press('Backspace', PERSON);
    await expect.poll(() => amountShown(page)).toBe('¥12.');
    await page.keyboard.type('50', PERSON);
    await expect.poll(() => amountShown(page)).toBe('¥12.50');
    await page.waitForTimeout(150);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: zh('wait.title') }).waitFor();
    expect(await text(page.locator('.due-amount'))).toBe('¥12.50');

    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('manual-code');
    await page.keyboard.type('281234567890123458', PERSON);
    const field = page.getByLabel(zh('wait.manualLabel'));
    await expect.poll(() => field.inputValue()).toBe('281234567890123458');
    // Typed by a person, corrected like any text: Backspace, then the digit again.
    await page.keyboard.press('Backspace');
    await expect.poll(() => field.inputValue()).toBe('28123456789012345');
    await page.keyboard.type('8', PERSON);
    await expect.poll(() => field.inputValue()).toBe('281234567890123458');
    await page.waitForTimeout(150);
    await page.keyboard.press('Enter');

    const result = page.locator('.result-screen');
    await result.waitFor();
    expect(await result.getAttribute('data-tone')).toBe('offline');
    expect(await text(result)).toContain('¥12.50');
    expect(codeCalls).toEqual([{ path: '/api/checkout/code', body: { code: '281234567890123458' } }]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('a fast burst on the keypad that is a payment code goes to the host, not into the amount', async () => {
    const { page, problems, codeCalls } = await openKiosk();
    const pendingBefore = (await hostStatus()).queue.pending;
    await page.keyboard.type('5', PERSON);
    await expect.poll(() => amountShown(page)).toBe('¥5');

    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/scan');
    await page.keyboard.type('281234567890123459', SCANNER);
    await page.keyboard.press('Enter');
    const scan = ((await (await answer).json()) as KioskScanAnswer).scan;
    expect(scan).toMatchObject({ kind: 'payment_code', source: 'kiosk:wedge' });
    expect(codeCalls).toEqual([{ path: '/api/scan', body: { data: '281234567890123459' } }]);

    // The amount is what the person typed; no checkout started (the Enter was the scanner's).
    await page.waitForTimeout(300);
    expect(await amountShown(page)).toBe('¥5');
    expect(await page.locator('.keypad').isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: zh('wait.title') }).count()).toBe(0);
    expect((await hostStatus()).queue.pending).toBe(pendingBefore);

    // The keypad goes on as before.
    await page.keyboard.type('0', PERSON);
    await expect.poll(() => amountShown(page)).toBe('¥50');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
