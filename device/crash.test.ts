/**
 * Crash safety: a child process takes payments in a loop and is killed with SIGKILL at random
 * points, 60 times. Afterwards every payment it acknowledged is in the journal with what was
 * acknowledged, no entry is half-written and `journal verify` passes.
 *
 * SIGKILL stops the process between any two instructions, including inside SQLite's commit; the
 * operating system keeps what was written. (A power cut is the fsync's business: synchronous=FULL,
 * checked on every open.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from './log.ts';
import { openTerminal } from './terminal.ts';

const KILLS = 60;
const child = path.resolve('device/testing/crash-child.ts');
let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-crash-'));
  // Offline limits out of the way: every payment is accepted, so every ack is a stored payment.
  fs.writeFileSync(
    path.join(dataDir, 'suanpan.json'),
    JSON.stringify({ offlinePolicy: { totalStoredMax: '100000000.00', maxStoredCount: 1_000_000 } }),
  );
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Ack {
  paymentId: string;
  seq: number;
  status: string;
  minor: number;
}

/** Runs the child until it has acknowledged a random number of payments, then SIGKILLs it at a random moment. */
function runAndKill(): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killAfter = Number.POSITIVE_INFINITY;
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? ''; // a partial line is not an acknowledgement
      for (const line of lines) {
        if (line === 'ready') {
          // Somewhere in the first few dozen payments, at a random point within one.
          killAfter = Math.floor(Math.random() * 40);
          continue;
        }
        const [, paymentId, seq, status, minor] = line.split(' ');
        acks.push({
          paymentId: paymentId as string,
          seq: Number(seq),
          status: status as string,
          minor: Number(minor),
        });
        if (acks.length >= killAfter) {
          killAfter = Number.POSITIVE_INFINITY;
          // Let it run on for a random fraction of a payment (or a few) before the kill.
          setTimeout(() => proc.kill('SIGKILL'), Math.random() * 3);
        }
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`child exited with ${code ?? signal} before it was killed:\n${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it(`keeps every acknowledged payment through ${KILLS} SIGKILLs`, async () => {
    const acked: Ack[] = [];
    for (let i = 0; i < KILLS; i++) acked.push(...(await runAndKill()));
    expect(acked.length).toBeGreaterThan(KILLS);

    const terminal = openTerminal({ dataDir, create: false, logger: silentLogger() });
    try {
      for (const ack of acked) {
        expect(terminal.journal.payment(ack.paymentId)).toMatchObject({
          seq: ack.seq,
          status: ack.status,
          amount: { minor: ack.minor },
        });
      }
      const result = await terminal.journal.verify({
        publicKey: terminal.key.publicKey,
        mac: terminal.key.mac,
        allSignatures: true,
      });
      expect(result).toMatchObject({ ok: true });
      // No half-written payment: each has one captured entry carrying its decision, and seq is gap-free.
      const entries = [...terminal.journal.entries()];
      const payments = terminal.journal.payments({ limit: 10_000 });
      expect(entries).toHaveLength(payments.length);
      for (const e of entries)
        expect({ kind: e.kind, status: JSON.parse(e.body).status }).toEqual({
          kind: 'captured',
          status: 'accepted_offline',
        });
      expect(payments.map((p) => p.seq).sort((a, b) => a - b)).toEqual(payments.map((_, i) => i + 1));
      expect(payments.length).toBeGreaterThanOrEqual(acked.length);
    } finally {
      terminal.close();
    }
  }, 300_000);
});
