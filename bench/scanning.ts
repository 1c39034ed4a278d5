/**
 * Scanning benchmarks, each beside a baseline measured in the same run:
 * 1. In process: from the last report or byte of a code to its ScanEvent (decode, duplicate check,
 *    routing), for a HID POS scanner (reports through the HID seam), a keyboard-wedge scanner
 *    (boot-keyboard reports) and a serial scanner (bytes through a Transport). Target p99 ≤ 1 ms.
 *    Baseline: handing the same last report to a listener, nothing decoded.
 * 2. Over a real PTY pair (socat): from writing a code's last byte (its CR) at the device end to
 *    the ScanEvent in the host. Target p99 ≤ 16 ms (one frame at 60 Hz). Baseline: one byte
 *    written at the device end until serialport delivers it at the driver end, the floor of the
 *    line itself.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { DEFAULT_SCHEMES } from '../device/checkout/payment-code.ts';
import { ScanDesk } from '../device/scanning/scan-desk.ts';
import type { ScanEvent } from '../device/scanning/scan-event.ts';
import { DEMO_WALLET_RULE } from '../device/scanning/schemes.ts';
import { BaseTransport } from '../drivers/transport/transport.ts';
import { openPtyPair } from '../test-hardware/pty.ts';
import { FakeHidBackend } from '../test-hardware/scanner-sim/fake-hid.ts';
import { bootKeyboardReports, hidPosReports } from '../test-hardware/scanner-sim/hid-reports.ts';

const IN_PROCESS = Number(process.env.BENCH_SCANS ?? 5_000);
const OVER_PTY = Number(process.env.BENCH_PTY_SCANS ?? 400);
const WARMUP = 200;

const nowMs = () => performance.now();
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const ms = (n: number) => `${n.toFixed(3)} ms`;
function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}
/** A fresh code per scan, so the duplicate filter passes each. */
const code = (i: number) => `28${String(1_000_000_000_000_000 + i).slice(-16)}`;
const schemes = [DEMO_WALLET_RULE, ...DEFAULT_SCHEMES];
const noPay = async () => {
  throw new Error('no payment in this benchmark');
};

/** An in-memory Transport: what the test writes as "the device" comes out as data. */
class MemoryTransport extends BaseTransport {
  readonly description = 'memory';
  protected async doOpen() {}
  protected async doWrite() {}
  protected async doClose() {}
  deliver(bytes: Buffer) {
    this.received(bytes);
  }
}

async function inProcess(kind: 'hid' | 'wedge' | 'serial') {
  const hid = new FakeHidBackend();
  const device =
    kind === 'serial'
      ? undefined
      : hid.plug(
          kind === 'hid'
            ? { vendorId: 0x1eab, productId: 0x1310, usagePage: 0x8c, usage: 2 }
            : { vendorId: 0x1eab, productId: 0x1303, usagePage: 1, usage: 6 },
        );
  const memory = new MemoryTransport();
  const desk = new ScanDesk({
    uris: [
      kind === 'serial' ? 'serial:/dev/bench?suffix=cr' : `${kind}:1eab:${kind === 'hid' ? '1310' : '1303'}`,
    ],
    schemes,
    pay: noPay,
    scannerOptions: { loadHid: async () => hid, openSerial: () => memory },
  });
  await desk.start();
  let got: ScanEvent | undefined;
  desk.on('scan', (e) => {
    got = e;
  });
  const samples: number[] = [];
  for (let i = 0; i < IN_PROCESS + WARMUP; i++) {
    const data = code(i);
    let frames: Buffer[];
    if (kind === 'hid') frames = hidPosReports(data);
    else if (kind === 'wedge') frames = bootKeyboardReports(data);
    else frames = [Buffer.from(data), Buffer.from('\r')];
    const send = (f: Buffer) => (device ? device.send(f) : memory.deliver(f));
    // The frame that completes the code: a keyboard's Enter press (its release follows).
    const last = kind === 'wedge' ? frames.length - 2 : frames.length - 1;
    for (const f of frames.slice(0, last)) send(f);
    got = undefined;
    const t0 = nowMs();
    send(frames[last] as Buffer);
    const t1 = nowMs();
    if (!got || (got as ScanEvent).data !== data) throw new Error(`${kind}: scan ${i} not routed`);
    for (const f of frames.slice(last + 1)) send(f);
    if (i >= WARMUP) samples.push(t1 - t0);
  }
  await desk.stop();
  return summary(samples);
}

/** Baseline: the last report handed to a bare listener. */
function bareDelivery() {
  const emitter = new EventEmitter();
  let seen: Buffer | undefined;
  emitter.on('report', (r: Buffer) => {
    seen = r;
  });
  const samples: number[] = [];
  for (let i = 0; i < IN_PROCESS + WARMUP; i++) {
    const report = hidPosReports(code(i))[0] as Buffer;
    const t0 = nowMs();
    emitter.emit('report', Buffer.from(report));
    const t1 = nowMs();
    if (seen === undefined) throw new Error('not delivered');
    if (i >= WARMUP) samples.push(t1 - t0);
  }
  return summary(samples);
}

async function overPty() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-bench-scan-'));
  const pair = await openPtyPair(dir);
  const device = new SerialPort({ path: pair.deviceEnd, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => device.open((err) => (err ? reject(err) : resolve())));
  const write = (bytes: Buffer) =>
    new Promise<void>((resolve, reject) => {
      device.write(bytes);
      device.drain((err) => (err ? reject(err) : resolve()));
    });
  const pause = (n: number) => new Promise((r) => setTimeout(r, n));
  try {
    // Baseline: one byte across the line, read by a plain serialport at the driver end.
    const reader = new SerialPort({ path: pair.driverEnd, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => reader.open((err) => (err ? reject(err) : resolve())));
    let arrived: (() => void) | undefined;
    reader.on('data', () => arrived?.());
    const base: number[] = [];
    for (let i = 0; i < OVER_PTY + 20; i++) {
      const got = new Promise<number>((resolve) => {
        arrived = () => resolve(nowMs());
      });
      const t0 = nowMs();
      await write(Buffer.from('\r'));
      const t1 = await got;
      if (i >= 20) base.push(t1 - t0);
      await pause(2);
    }
    await new Promise((resolve) => reader.close(resolve));

    const desk = new ScanDesk({ uris: [`serial:${pair.driverEnd}?suffix=cr`], schemes, pay: noPay });
    await desk.start();
    let onScan: ((e: ScanEvent) => void) | undefined;
    desk.on('scan', (e) => onScan?.(e));
    const samples: number[] = [];
    for (let i = 0; i < OVER_PTY + 20; i++) {
      const data = code(i);
      const got = new Promise<{ at: number; e: ScanEvent }>((resolve) => {
        onScan = (e) => resolve({ at: nowMs(), e });
      });
      // The code's bytes, a moment's gap, then its CR: the figure runs from that last byte. (Pacing
      // each byte 1 ms apart, as a 9600-baud scanner does, let a stall of this process on a loaded
      // machine exceed the 50 ms inter-byte timeout and cut a code: a stall of the simulator, not
      // of the driver.)
      await write(Buffer.from(data));
      await pause(2);
      const t0 = nowMs();
      await write(Buffer.from('\r'));
      const { at, e } = await got;
      if (e.data !== data) throw new Error(`PTY scan ${i}: got ${e.data}`);
      if (i >= 20) samples.push(at - t0);
    }
    await desk.stop();
    return { scan: summary(samples), base: summary(base) };
  } finally {
    await new Promise((resolve) => device.close(resolve));
    await pair.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchScanning(): Promise<void> {
  console.log(`\nscan latency in process: last report/byte of a code → ScanEvent (${IN_PROCESS} scans each)`);
  const base = bareDelivery();
  for (const kind of ['hid', 'wedge', 'serial'] as const) {
    const r = await inProcess(kind);
    console.log(
      `  ${kind.padEnd(6)} p50 ${ms(r.p50)}   p99 ${ms(r.p99)}   (target p99 ≤ 1 ms)  ${r.p99 <= 1 ? 'met' : 'NOT MET'}`,
    );
  }
  console.log(`  baseline: report to a bare listener   p50 ${ms(base.p50)}   p99 ${ms(base.p99)}`);

  console.log(
    `\nscan latency over a real PTY (socat): the code's CR written → ScanEvent (${OVER_PTY} scans)`,
  );
  const pty = await overPty();
  console.log(
    `  serial scanner p50 ${ms(pty.scan.p50)}   p99 ${ms(pty.scan.p99)}   (target p99 ≤ 16 ms)  ${pty.scan.p99 <= 16 ? 'met' : 'NOT MET'}`,
  );
  console.log(`  baseline: one byte across the PTY   p50 ${ms(pty.base.p50)}   p99 ${ms(pty.base.p99)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchScanning();
