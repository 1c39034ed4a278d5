/**
 * The counter's rule end to end on a real journal: while a payment waits for its code, a
 * payment-code scan from a (simulated) HID POS scanner takes the payment; other scans do not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHidBackend } from '../../test-hardware/scanner-sim/fake-hid.ts';
import { hidPosReports } from '../../test-hardware/scanner-sim/hid-reports.ts';
import { createLogger } from '../log.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import { ScanDesk } from './scan-desk.ts';
import type { ScanEvent } from './scan-event.ts';
import { paymentSchemes } from './schemes.ts';

let dataDir: string;
let terminal: Terminal;
let desk: ScanDesk;
let hid: FakeHidBackend;

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-desk-'));
  terminal = openTerminal({
    dataDir,
    create: true,
    core: null,
    env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true' },
    logger: createLogger({ level: 'silent' }),
  });
  hid = new FakeHidBackend();
  desk = new ScanDesk({
    uris: ['hid:1eab:1310'],
    schemes: paymentSchemes(terminal.settings),
    pay: (request) => terminal.checkout.pay(request),
    scannerOptions: { loadHid: async () => hid },
  });
});
afterEach(async () => {
  await desk.stop();
  terminal.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const amount = { minor: 1250, currency: 'CNY' };

describe('scan desk', () => {
  it('a payment-code scan while waiting takes the payment; a product scan before it does not', async () => {
    const device = hid.plug({ vendorId: 0x1eab, productId: 0x1310, usagePage: 0x8c, usage: 2 });
    await desk.start();
    const events: ScanEvent[] = [];
    desk.on('scan', (e) => events.push(e));
    const paid = desk.awaitPaymentCode({ amount });
    device.sendAll(hidPosReports('6901234567892', { aim: ']E0' }));
    device.sendAll(hidPosReports('281234567890123456'));
    const { scan, outcome } = await paid;
    expect(scan).toMatchObject({ kind: 'payment_code', scheme: 'demo', source: 'hid:1eab:1310' });
    expect(outcome.payment).toMatchObject({ status: 'accepted_offline', mode: 'offline', amount });
    expect(events.map((e) => e.kind)).toEqual(['product', 'payment_code']);
    expect(terminal.journal.payment(outcome.payment.paymentId)?.scheme).toBe('demo');
    expect(desk.waitingForCode).toBe(false);
  });

  it('a payment-code scan with nobody waiting is only reported', async () => {
    await desk.start();
    const events: ScanEvent[] = [];
    desk.on('scan', (e) => events.push(e));
    desk.feed({ bytes: Buffer.from('281234567890123456'), symbology: 'qr', source: 'kiosk', receivedAt: 0 });
    expect(events).toHaveLength(1);
    expect(terminal.journal.offlineStats().pending).toBe(0);
  });

  it('one code pays once even when the phone is read twice; a used code is refused', async () => {
    await desk.start();
    const scan = {
      bytes: Buffer.from('281234567890123456'),
      symbology: 'qr' as const,
      source: 'kiosk',
      receivedAt: 0,
    };
    const first = desk.awaitPaymentCode({ amount });
    desk.feed(scan);
    desk.feed(scan); // nobody waits any more: reported, not paid
    await first;
    const second = desk.awaitPaymentCode({ amount });
    desk.feed(scan);
    await expect(second).rejects.toMatchObject({ code: 'CODE_USED' });
    expect(terminal.journal.offlineStats().pending).toBe(1);
  });

  it('refuses a second wait and cancels on request', async () => {
    const first = desk.awaitPaymentCode({ amount });
    await expect(desk.awaitPaymentCode({ amount })).rejects.toMatchObject({ code: 'BUSY' });
    desk.cancelWait();
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
