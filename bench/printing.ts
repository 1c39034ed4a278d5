/**
 * Printing benchmarks, each beside a baseline measured in the same run:
 * 1. Receipt build (layout to ESC/POS bytes: the payment receipt document, Chinese text in GB18030,
 *    native QR), per profile. Target p99 ≤ 2 ms. Baseline: GB18030-encoding the same text alone.
 * 2. From a payment's commit to the first receipt byte written to the transport, through the print
 *    queue (an fsynced insert), the spooler, the status read before the job and the encoder, to the
 *    printer simulator over TCP. Target p99 ≤ 20 ms. Baseline: one status round trip on the same
 *    socket (DLE EOT and its answer), the floor any checked print pays.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Checkout } from '../device/checkout/checkout.ts';
import { silentLogger } from '../device/log.ts';
import { openPrinting } from '../device/printing/printing.ts';
import { paymentReceipt } from '../device/receipts/receipts.ts';
import { openTerminal } from '../device/terminal.ts';
import { encodeDocument } from '../drivers/printer/escpos/encoder.ts';
import { PROFILES } from '../drivers/printer/profiles.ts';
import type { PaymentRecord } from '../sync/journal/journal.ts';
import { parseAmount } from '../sync/protocol/money.ts';
import { PrinterSimulator } from '../test-hardware/printer-sim/simulator.ts';

const BUILDS = Number(process.env.BENCH_RECEIPT_BUILDS ?? 3_000);
const PRINTS = Number(process.env.BENCH_RECEIPT_PRINTS ?? 500);

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const ms = (n: number) => `${n.toFixed(3)} ms`;
function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

const PAYMENT = {
  paymentId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  seq: 1234,
  amount: { minor: 12_345, currency: 'CNY' },
  scheme: 'alipay',
  codeMasked: '28************3456',
  status: 'accepted_offline',
  mode: 'offline',
  reason: null,
  capturedAt: '2026-11-25T08:30:00.000Z',
  updatedAt: '2026-11-25T08:30:00.000Z',
} as unknown as PaymentRecord;
const CONTEXT = { merchantName: '张记小吃店', terminalId: 'sp-00112233445566ff', locale: 'zh-CN' as const };

async function benchBuild(): Promise<void> {
  console.log('\nreceipt build (payment receipt document → ESC/POS bytes)');
  for (const id of ['epson-80', 'epson-58']) {
    const profile = PROFILES[id] as NonNullable<(typeof PROFILES)[string]>;
    const build: number[] = [];
    const base: number[] = [];
    let bytes = 0;
    for (let i = 0; i < BUILDS + 200; i++) {
      let t = nowMs();
      const doc = paymentReceipt({ ...PAYMENT, seq: i }, CONTEXT);
      bytes = (await encodeDocument(doc, profile)).length;
      const b = nowMs() - t;
      t = nowMs();
      const text = doc.blocks
        .map((x) => ('text' in x ? x.text : 'left' in x ? `${x.left} ${x.right}` : ''))
        .join('\n');
      iconv.encode(text, 'gb18030');
      const raw = nowMs() - t;
      if (i >= 200) {
        build.push(b);
        base.push(raw);
      }
    }
    const s = summary(build);
    const r = summary(base);
    console.log(
      `  ${id.padEnd(9)} build p50 ${ms(s.p50)} p99 ${ms(s.p99)} (${bytes} bytes)   baseline GB18030 of its text p50 ${ms(r.p50)} p99 ${ms(r.p99)}   (target p99 ≤ 2 ms)  ${s.p99 <= 2 ? 'met' : 'NOT MET'}`,
    );
  }
}

async function benchCommitToFirstByte(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'suanpan-bench-print-'));
  const sim = new PrinterSimulator({});
  await sim.start();
  const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
  fs.writeFileSync(
    path.join(dir, 'suanpan.json'),
    JSON.stringify({
      terminal: { merchantName: '张记小吃店' },
      printer: { uri: `tcp://127.0.0.1:${port}` },
      offlinePolicy: { totalStoredMax: '100000000.00', maxStoredCount: 1_000_000 },
    }),
  );
  const terminal = openTerminal({ dataDir: dir, create: true, core: null, logger: silentLogger(), env: {} });
  let firstByteAt = 0;
  const printing = await openPrinting(terminal, { onFirstByte: () => (firstByteAt = nowMs()) });
  const checkout = terminal.checkout as Checkout;
  const commitToByte: number[] = [];
  const roundTrip: number[] = [];
  try {
    for (let i = 0; i < PRINTS + 20; i++) {
      const code = `28${String(1_000_000 + i).padStart(16, '0')}`;
      const { payment } = await checkout.pay({ amount: parseAmount('12.50'), code });
      const committed = nowMs();
      printing.queueReceipt(payment);
      const result = await printing.spooler.flush();
      if (result.error) throw result.error;
      const t = nowMs();
      await printing.printer.status();
      const rt = nowMs() - t;
      if (i >= 20) {
        commitToByte.push(firstByteAt - committed);
        roundTrip.push(rt);
      }
    }
    await sim.waitForReceipts(PRINTS + 20, 30_000);
  } finally {
    await printing.close();
    terminal.close();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const s = summary(commitToByte);
  const r = summary(roundTrip);
  console.log(
    `\npayment commit → first receipt byte on the transport (simulator over TCP, ${PRINTS} payments)`,
  );
  console.log(
    `  commit → first byte     p50 ${ms(s.p50)} p99 ${ms(s.p99)}   (target p99 ≤ 20 ms)  ${s.p99 <= 20 ? 'met' : 'NOT MET'}`,
  );
  console.log(`  baseline status round trip p50 ${ms(r.p50)} p99 ${ms(r.p99)}`);
}

export async function benchPrinting(): Promise<void> {
  await benchBuild();
  await benchCommitToFirstByte();
}
