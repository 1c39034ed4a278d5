/**
 * The printer commands end to end: real `suanpan` processes against the printer simulator on a TCP
 * port, JSON output and exit codes (0 ok, 1 refused or failed, 2 bad usage or input).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsqr from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { runCli } from '../testing/cli-child.ts';

const jsQR = jsqr.default;
let dataDir: string;
let sim: PrinterSimulator;
let uri: string;

/** Like cli.test.ts's, but async: the simulator runs in this process and must keep answering. */
const run = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) =>
  runCli([...args, '--data-dir', dataDir], options.env);

function settings(printer: Record<string, unknown>) {
  fs.writeFileSync(
    path.join(dataDir, 'suanpan.json'),
    JSON.stringify({ terminal: { merchantName: '张记小吃店' }, printer }),
  );
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-printer-cli-'));
  sim = new PrinterSimulator({});
  await sim.start();
  uri = `tcp://127.0.0.1:${(await sim.listenTcp({ host: '127.0.0.1', port: 0 })).port}`;
  settings({});
  expect((await run(['init', '--json'])).status).toBe(0);
});
afterAll(async () => {
  await sim.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('suanpan printer commands', () => {
  it('printer status gives the status object; faults give the cashier a reason and exit 1', async () => {
    const ok = await run(['printer', 'status', '--printer', uri, '--json']);
    expect(ok.status).toBe(0);
    expect(ok.json).toMatchObject({
      online: true,
      coverOpen: false,
      paperOut: false,
      paperNearEnd: false,
      drawerOpen: false,
    });
    sim.setState({ paperOut: true });
    const out = await run(['printer', 'status', '--printer', uri, '--json']);
    expect(out.status).toBe(0);
    expect(out.json).toMatchObject({ paperOut: true });
    sim.setState({ paperOut: false, silent: true });
    const silent = await run(['print-test', '--printer', uri, '--json']);
    expect(silent.status).toBe(1);
    expect(silent.json.error).toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('The printer does not answer'),
    });
    sim.setState({ silent: false });
  });

  it('bad printer addresses: an unknown scheme lists the valid ones (exit 2); nothing listening is OFFLINE (exit 1)', async () => {
    const bad = await run(['printer', 'status', '--printer', 'ipp://printer']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('tcp://HOST[:PORT], serial:');
    expect(bad.stderr).toContain('usb:VID:PID[:SERIAL], lp:/dev/usb/lp0');
    const refused = await run(['printer', 'status', '--printer', 'tcp://127.0.0.1:1', '--json']);
    expect(refused.status).toBe(1);
    expect(refused.json.error).toMatchObject({ code: 'OFFLINE' });
  });

  it('print-test prints the test page; drawer open pulses both pins', async () => {
    const before = sim.receipts.length;
    const page = await run(['print-test', '--printer', uri, '--json']);
    expect(page.status).toBe(0);
    expect(sim.receipts.length).toBe(before + 1);
    expect(
      sim.receipts
        .at(-1)
        ?.lines.map((l) => l.text)
        .join('\n'),
    ).toContain('中文测试');
    const pulses = sim.drawerPulses.length;
    expect((await run(['drawer', 'open', '--printer', uri])).status).toBe(0);
    expect(sim.drawerPulses.slice(pulses).map((p) => p.pin)).toEqual([2, 5]);
  });

  it('pay prints the receipt; with the printer down the payment stands and the receipt waits for `printer flush`', async () => {
    settings({ uri });
    const paid = await run(['pay', '--amount', '12.50', '--code', '281234567890123456', '--json']);
    expect(paid.status).toBe(0);
    expect(paid.json).toMatchObject({ status: 'accepted_offline', receipt: { printed: true } });
    expect(sim.receipts.at(-1)?.qrs.map((q) => q.data)).toEqual([paid.json.paymentId]);

    sim.setState({ coverOpen: true });
    const second = await run(['pay', '--amount', '3.00', '--code', '281234567890123457', '--json']);
    expect(second.status).toBe(0);
    expect(second.json).toMatchObject({
      status: 'accepted_offline',
      receipt: { printed: false, error: { code: 'COVER_OPEN' } },
    });
    const waiting = await run(['printer', 'queue', '--json']);
    expect(waiting.json).toEqual([
      expect.objectContaining({ kind: 'receipt', paymentId: second.json.paymentId }),
    ]);
    sim.setState({ coverOpen: false });
    // Asking for a receipt still waiting prints that one, not it and a copy.
    const asked = await run(['receipt', '--payment', second.json.paymentId, '--json']);
    expect(asked).toMatchObject({ status: 0, json: { printed: true, pending: 0 } });
    const copies = () => sim.receipts.filter((r) => r.qrs.some((q) => q.data === second.json.paymentId));
    expect(copies()).toHaveLength(1);
    expect(copies()[0]?.lines[0]?.text).toBe('张记小吃店');
    const flushed = await run(['printer', 'flush', '--json']);
    expect(flushed).toMatchObject({ status: 0, json: { pending: 0 } });
    expect(copies()).toHaveLength(1);

    const again = await run(['reprint', 'last', '--json']);
    expect(again.status).toBe(0);
    const last = sim.receipts.at(-1);
    expect(last?.lines[0]?.text).toBe('*** 重印 ***');
    expect(last?.qrs.map((q) => q.data)).toEqual([second.json.paymentId]);

    // Never in the data folder: a receipt drawn over keys/terminal.key would destroy the key.
    const key = path.join(dataDir, 'keys', 'terminal.key');
    const keyBefore = fs.readFileSync(key);
    const overKey = await run(['receipt', '--payment', paid.json.paymentId, '--png', key, '--json']);
    expect(overKey).toMatchObject({ status: 2, json: { error: { code: 'BAD_USAGE' } } });
    expect(overKey.json.error.message).toContain("is in the terminal's data folder");
    expect(fs.readFileSync(key)).toEqual(keyBefore);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-receipt-png-'));
    const noFolder = await run([
      'receipt',
      '--payment',
      paid.json.paymentId,
      '--png',
      path.join(outDir, 'no', 'r.png'),
    ]);
    expect(noFolder).toMatchObject({ status: 2 });
    expect(noFolder.stderr).toContain('does not exist');
    expect(noFolder.stderr).not.toContain('    at ');
    const png = path.join(outDir, 'r.png');
    const drawn = await run(['receipt', '--payment', paid.json.paymentId, '--png', png]);
    expect(drawn.status).toBe(0);
    const image = await loadImage(fs.readFileSync(png));
    fs.rmSync(outDir, { recursive: true, force: true });
    const canvas = createCanvas(image.width, image.height);
    canvas.getContext('2d').drawImage(image, 0, 0);
    const pixels = canvas.getContext('2d').getImageData(0, 0, image.width, image.height);
    expect(jsQR(pixels.data, image.width, image.height)?.data).toBe(paid.json.paymentId);
    expect((await run(['receipt', '--payment', 'nope'])).status).toBe(2);
    settings({});
  });

  it('shift close prints the shift report', async () => {
    settings({ uri });
    const closed = await run(['shift', 'close', '--json']);
    expect(closed.status).toBe(0);
    expect(closed.json.printout).toMatchObject({ printed: true });
    expect(
      sim.receipts
        .at(-1)
        ?.lines.map((l) => l.text)
        .join('\n'),
    ).toContain('交班报表');
    settings({});
  });

  it('sim printer runs the simulator on a TCP port until stopped', async () => {
    const child = spawn(process.execPath, ['bin/suanpan.js', 'sim', 'printer', '--tcp', '127.0.0.1:0'], {
      env: { PATH: process.env.PATH, HOME: os.tmpdir() },
    });
    let out = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (tcp:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error(`sim exited: ${out}`)));
    });
    const status = await run(['printer', 'status', '--printer', address, '--json']);
    expect(status.json).toMatchObject({ online: true });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(
      spawnSync(process.execPath, ['bin/suanpan.js', 'sim', 'printer', '--tcp', 'nonsense']).status,
    ).toBe(2);
  });
});
