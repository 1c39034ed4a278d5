/**
 * `npm run bench`: the journal's speed, each figure beside a baseline measured in the same run on
 * the same disk (the machines are shared and noisy, so only same-run comparisons mean anything).
 *
 * 1. Durable capture: a payment committed with its hashes and signatures (the offline path of
 *    checkout: classification, keyed code hash, policy, one entry with its MAC, signed at once or,
 *    in this rush, with the others of its quarter second (DEFAULT_SIGN_WITHIN_MS), one fsynced
 *    commit), one by one, interleaved in blocks with a raw 4 KiB write+fsync so both see the same
 *    disk weather.
 *    Targets: capture p99 ≤ 1.5 × raw fsync p99, ≥ 2,000 payments/s.
 * 2. `journal verify` over BENCH_VERIFY_ENTRIES (1,000,000) entries: hash-chain entries/s (target
 *    ≥ 300,000/s), whole verify time including signatures and the payments table (target ≤ 10 s),
 *    and memory sampled during the run (constant: no growth with the journal's size).
 * 3. Printing: receipt build and payment commit to first receipt byte: see printing.ts.
 * 4. Scanning: last byte of a code to its ScanEvent, in process and over a real PTY: see scanning.ts.
 * 5. Sync to the core on PostgreSQL: see sync.ts.
 * 6. The kiosk's budgets: renderer size, host start, first paint, scan to screen, host memory after
 *    10,000 payments: see kiosk.ts.
 *
 * `npm run bench -- capture` (or any of capture, verify, printing, scanning, sync, kiosk) runs only the sections named.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Checkout } from '../device/checkout/checkout.ts';
import { silentLogger } from '../device/log.ts';
import { hmacSha256 } from '../sync/journal/hmac.ts';
import { DEFAULT_SIGN_WITHIN_MS, Journal, type JournalOptions } from '../sync/journal/journal.ts';
import { parseAmount } from '../sync/protocol/money.ts';
import { benchKiosk } from './kiosk.ts';
import { benchPrinting } from './printing.ts';
import { benchScanning } from './scanning.ts';
import { benchSync } from './sync.ts';

/** The sections, in the order they run; `npm run bench -- capture verify` runs only those named. */
const SECTIONS = ['capture', 'verify', 'printing', 'scanning', 'sync', 'kiosk'] as const;
type Section = (typeof SECTIONS)[number];
const only = selectSections(process.argv.slice(2));

function selectSections(names: string[]): Set<Section> {
  if (names.length === 0) return new Set(SECTIONS);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark ${unknown.join(', ')}: name any of ${SECTIONS.join(', ')} (none: all).`);
    process.exit(2);
  }
  return new Set(names as Section[]);
}

const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'suanpan-bench-'));
const CAPTURE_BLOCKS = Number(process.env.BENCH_CAPTURE_BLOCKS ?? 10);
const BLOCK = 500;
const VERIFY_ENTRIES = Number(process.env.BENCH_VERIFY_ENTRIES ?? 1_000_000);

const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
const codeKey = crypto.randomBytes(32);
const macKey = crypto.randomBytes(32);
const signer = {
  publicKey,
  sign: (h: Buffer) => crypto.sign(null, h, privateKey),
  mac: hmacSha256(macKey),
};
const digestCode = hmacSha256(codeKey);
let codeNo = 0;
const nextCode = () => `28${String(++codeNo).padStart(16, '0')}`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
const ms = (n: number) => `${n.toFixed(3)} ms`;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function openJournal(dir: string, over: Partial<JournalOptions> = {}): Journal {
  fs.mkdirSync(dir, { recursive: true });
  return Journal.open({ file: path.join(dir, 'journal.sqlite'), terminalId: 'sp-bench', signer, ...over });
}

/** The default offline policy, with the stored count lifted to one block: between blocks the bench
 * settles what is stored, as the sync client does after an upload, so every payment is accepted. */
const limits = {
  perPayment: parseAmount('200.00'),
  totalStored: parseAmount('100000.00'),
  maxStoredCount: BLOCK,
  maxHoursSinceSync: 72,
};

/** What a sync does after an upload: stored payments become settled. Not timed as capture. */
function settleAll(journal: Journal) {
  journal.bulk(() => {
    for (const p of journal.payments({ status: 'accepted_offline', limit: 10_000 })) {
      journal.transition(p.paymentId, { status: 'settled' });
    }
  });
}
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function benchCapture() {
  const journal = openJournal(path.join(root, 'capture'));
  const checkout = new Checkout({ journal, limits, digestCode, log: silentLogger() });
  const rawFile = path.join(root, 'capture', 'raw-fsync.bin');
  const fd = fs.openSync(rawFile, 'w');
  const page = crypto.randomBytes(4096);
  const raw: number[] = [];
  const capture: number[] = [];
  // A third baseline: SQLite's own floor, a one-row commit in WAL with synchronous=FULL.
  const floorDb = new Database(path.join(root, 'capture', 'floor.sqlite'));
  floorDb.pragma('journal_mode = WAL');
  floorDb.pragma('synchronous = FULL');
  floorDb.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const floorInsert = floorDb.prepare('INSERT INTO t (v) VALUES (?)');
  const floor: number[] = [];
  let signMs = 0;
  let signatures = 0;
  const sign = signer.sign;
  signer.sign = (h: Buffer) => {
    const t = nowMs();
    const sig = sign(h);
    signMs += nowMs() - t;
    signatures += 1;
    return sig;
  };
  const amount = parseAmount('12.50');
  // Warm-up: statement caches, JIT, the WAL file's first pages.
  for (let i = 0; i < 200; i++) await checkout.pay({ amount, code: nextCode() });
  settleAll(journal);
  signMs = 0;
  signatures = 0;
  let captureWall = 0;
  for (let b = 0; b < CAPTURE_BLOCKS; b++) {
    const blockStart = nowMs();
    let rawTime = 0;
    for (let i = 0; i < BLOCK; i++) {
      // One raw write+fsync, then one payment: both see the same disk and CPU weather.
      let t = nowMs();
      fs.writeSync(fd, page);
      fs.fsyncSync(fd);
      const r = nowMs() - t;
      raw.push(r);
      t = nowMs();
      floorInsert.run(page.subarray(0, 200));
      const f = nowMs() - t;
      floor.push(f);
      rawTime += r + f;
      t = nowMs();
      const { payment } = await checkout.pay({ amount, code: nextCode() });
      capture.push(nowMs() - t);
      if (payment.status !== 'accepted_offline') throw new Error(`bench payment ${payment.status}`);
      // The next payment arrives as a new event, as at a real counter: the journal's checkpoint,
      // scheduled after a commit, runs here. It counts in payments/s, not in a payment's latency.
      await nextTurn();
    }
    captureWall += nowMs() - blockStart - rawTime;
    const settleSign = [signMs, signatures];
    settleAll(journal);
    [signMs, signatures] = settleSign as [number, number];
  }
  fs.closeSync(fd);
  journal.close();
  floorDb.close();
  raw.sort((a, b) => a - b);
  capture.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  const rawP99 = quantile(raw, 0.99);
  const capP99 = quantile(capture, 0.99);
  const perSecond = (capture.length / captureWall) * 1000;
  console.log(
    `\nDurable capture, one by one (${capture.length} payments accepted offline; each after a raw fsync)`,
  );
  console.log(
    `  raw 4 KiB write+fsync   p50 ${ms(quantile(raw, 0.5))}   p99 ${ms(rawP99)}   max ${ms(raw.at(-1) as number)}`,
  );
  console.log(
    `  SQLite 1-row commit     p50 ${ms(quantile(floor, 0.5))}   p99 ${ms(quantile(floor, 0.99))}   (WAL, synchronous=FULL: the database's own floor)`,
  );
  console.log(
    `  capture                 p50 ${ms(quantile(capture, 0.5))}   p99 ${ms(capP99)}   max ${ms(capture.at(-1) as number)}`,
  );
  console.log(
    `  of which Ed25519 signing ${ms(signMs / capture.length)} per payment (${signatures} signatures: one per ${DEFAULT_SIGN_WITHIN_MS} ms in this rush, each covering the payments before it; every entry has its MAC)`,
  );
  console.log(
    `  capture p99 / raw p99   ${(capP99 / rawP99).toFixed(2)}×   (target ≤ 1.50×)  ${capP99 <= 1.5 * rawP99 ? 'met' : 'NOT MET'}`,
  );
  console.log(
    `  payments/s              ${perSecond.toFixed(0)}   (target ≥ 2,000)  ${perSecond >= 2000 ? 'met' : 'NOT MET'}`,
  );
}

async function benchVerify() {
  const dir = path.join(root, 'verify');
  // Every capture signed, as at a counter where payments come seconds apart (not in the rush the
  // seeding is, where one signature would cover a quarter second's payments): as many signatures
  // to check as a real journal has.
  let journal = openJournal(dir, { signWithinMs: 0 });
  // As at a counter that syncs: each payment captured offline (one entry carrying its decision),
  // then settled by a sync, which records a batch of 1,000 results as one entry (recordResults).
  const resultsBatch = 1_000;
  const payments = Math.floor((VERIFY_ENTRIES * resultsBatch) / (resultsBatch + 1));
  const started = nowMs();
  const chunk = 10_000;
  for (let done = 0; done < payments; done += chunk) {
    const captured = journal.bulk(() =>
      Array.from({ length: Math.min(chunk, payments - done) }, () => {
        const code = nextCode();
        return journal.capture(
          {
            amount: { minor: 1250, currency: 'CNY' },
            scheme: 'alipay',
            code,
            codeHash: digestCode(code),
            codeMasked: 'x',
          },
          () => ({ status: 'accepted_offline', mode: 'offline' }),
        );
      }),
    );
    for (let i = 0; i < captured.length; i += resultsBatch) {
      journal.recordResults(
        captured
          .slice(i, i + resultsBatch)
          .map((p) => ({ paymentId: p.paymentId, seq: p.seq, status: 'settled' as const })),
      );
    }
    if ((done / chunk) % 10 === 0) process.stderr.write(`\r  seeding ${done}/${payments} payments`);
  }
  journal.close();
  const size = fs.statSync(path.join(dir, 'journal.sqlite')).size;
  process.stderr.write(
    `\r  seeded ${payments} payments in ${((nowMs() - started) / 1000).toFixed(1)} s (${(size / 2 ** 20).toFixed(0)} MiB)\n`,
  );

  journal = openJournal(dir);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let rssAtTenth = 0;
  let chainMs = 0;
  const t0 = nowMs();
  const result = await journal.verify({
    publicKey,
    mac: signer.mac,
    onSingleThread: (reason) => console.log(`  the chain was walked in one thread: ${reason}`),
    onProgress: (done, total) => {
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      if (!rssAtTenth && done >= total / 10) rssAtTenth = rss;
      if (done === total) chainMs = nowMs() - t0;
    },
  });
  const totalMs = nowMs() - t0;
  journal.close();
  if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result)}`);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const chainRate = (result.entries / chainMs) * 1000;
  console.log(`\njournal verify, ${result.entries.toLocaleString('en')} entries (${mib(size)} file)`);
  console.log(
    `  hash chain              ${(chainMs / 1000).toFixed(2)} s = ${Math.round(chainRate).toLocaleString('en')} entries/s   (target ≥ 300,000/s)  ${chainRate >= 300_000 ? 'met' : 'NOT MET'}`,
  );
  console.log(
    `  whole verify            ${(totalMs / 1000).toFixed(2)} s (chain, checkpoint signatures, payments table, SQLite quick_check of the file)   (target ≤ 10 s)  ${totalMs <= 10_000 ? 'met' : 'NOT MET'}`,
  );
  console.log(
    `  memory (RSS)            before ${mib(rssBefore)}, at 10 % ${mib(rssAtTenth)}, peak ${mib(peakRss)}`,
  );
}

try {
  console.log(
    `Suanpan benchmarks — ${new Date().toISOString()} — node ${process.version} — ${os.cpus().length} CPUs — ${root}`,
  );
  if (only.has('capture')) await benchCapture();
  if (only.has('verify')) await benchVerify();
  if (only.has('printing')) await benchPrinting();
  if (only.has('scanning')) await benchScanning();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
if (only.has('sync')) await benchSync();
if (only.has('kiosk')) await benchKiosk();
