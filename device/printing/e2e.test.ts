/**
 * Payment to paper, end to end: a terminal takes a payment, its receipt goes through the print queue,
 * the ESC/POS driver and a real transport (a TCP socket; a socat PTY pair as a serial cable) into
 * the printer simulator, which decodes it into a receipt model and draws it; an independent QR
 * decoder reads the payment id back from the drawing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsqr from 'jsqr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAmount } from '../../sync/protocol/money.ts';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { openPtyPair, PTY_SKIP_REASON, SKIP_PTY } from '../../test-hardware/pty.ts';
import { silentLogger } from '../log.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import { queueAndPrint } from './printing.ts';

// jsqr's types declare an ES default export; under NodeNext the default import is module.exports.
const jsQR = jsqr.default;

async function qrInPng(file: string): Promise<string | undefined> {
  const image = await loadImage(fs.readFileSync(file));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return jsQR(ctx.getImageData(0, 0, image.width, image.height).data, image.width, image.height)?.data;
}

describe('payment → receipt → printer', () => {
  let dir: string;
  let sim: PrinterSimulator;
  let terminal: Terminal | undefined;

  function terminalWith(uri: string): Terminal {
    fs.writeFileSync(
      path.join(dir, 'suanpan.json'),
      JSON.stringify({ terminal: { merchantName: '张记小吃店' }, printer: { uri } }),
    );
    terminal = openTerminal({ dataDir: dir, create: true, core: null, logger: silentLogger(), env: {} });
    return terminal;
  }

  async function payAndPrint(t: Terminal) {
    const { payment } = await t.checkout.pay({ amount: parseAmount('88.80'), code: '281234567890123456' });
    expect(payment.status).toBe('accepted_offline');
    const outcome = await queueAndPrint(t, (printing) => printing.queueReceipt(payment), 'en');
    expect(outcome).toMatchObject({ printed: true });
    const [receipt] = await sim.waitForReceipts(1, 5_000);
    return { payment, receipt };
  }

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-e2e-print-'));
    sim = new PrinterSimulator({ pngDir: path.join(dir, 'png') });
    await sim.start();
  });
  afterEach(async () => {
    terminal?.close();
    terminal = undefined;
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('over a real TCP socket: amount, Chinese text, offline line and QR payload; the drawn QR decodes', async () => {
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    const { payment, receipt } = await payAndPrint(terminalWith(`tcp://127.0.0.1:${port}`));
    const lines = receipt?.lines.map((l) => l.text) ?? [];
    expect(lines[0]).toBe('张记小吃店');
    expect(lines).toContain('￥88.80');
    expect(lines).toContain('离线交易，待确认');
    expect(receipt?.qrs.map((q) => q.data)).toEqual([payment.paymentId]);
    expect(receipt?.cut).toBe('full');
    await sim.flush();
    expect(await qrInPng(sim.pngPath(0) as string)).toBe(payment.paymentId);
  });

  it.skipIf(SKIP_PTY)(`over a real serial line (socat PTY pair; ${PTY_SKIP_REASON})`, async () => {
    const pty = await openPtyPair(dir);
    try {
      await sim.openSerial(pty.deviceEnd, { baudRate: 19_200 });
      const { payment, receipt } = await payAndPrint(terminalWith(`serial:${pty.driverEnd}?baud=19200`));
      const lines = receipt?.lines.map((l) => l.text) ?? [];
      expect(lines[0]).toBe('张记小吃店');
      expect(lines).toContain('￥88.80');
      expect(receipt?.qrs.map((q) => q.data)).toEqual([payment.paymentId]);
    } finally {
      terminal?.close();
      terminal = undefined;
      await sim.stop();
      await pty.close();
    }
  });

  it('a printer that is down never affects the payment: it stands, and its receipt waits', async () => {
    const t = terminalWith('tcp://127.0.0.1:1');
    const { payment } = await t.checkout.pay({ amount: parseAmount('5.00'), code: '281234567890123456' });
    const outcome = await queueAndPrint(t, (printing) => printing.queueReceipt(payment), 'en');
    expect(outcome).toMatchObject({ printed: false, error: { code: 'OFFLINE' } });
    expect(t.journal.payment(payment.paymentId)?.status).toBe('accepted_offline');
  });
});
