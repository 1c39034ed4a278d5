/**
 * A real serial line for tests: a pseudo-terminal pair joined by `socat`, one end for the device
 * (a simulator), the other for the driver. Closing it is pulling the cable.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { test as base } from 'vitest';

export const SOCAT_AVAILABLE = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * Skip PTY tests only on a developer's machine without socat; in CI (CI=true) a missing socat is a
 * failure, not a skip. Use as `describe.skipIf(SKIP_PTY)(...)`.
 */
export const SKIP_PTY = !SOCAT_AVAILABLE && process.env.CI !== 'true';
export const PTY_SKIP_REASON = 'needs socat: install the Debian package socat';

export interface PtyPair {
  /** The device's end, e.g. for the printer simulator. */
  deviceEnd: string;
  /** The driver's end, what `serial:` or `lp:` opens. */
  driverEnd: string;
  /** Ends the pair (the cable is pulled: both ends hang up); resolves when socat has exited. Idempotent. */
  close(): Promise<void>;
}

/**
 * Makes a pair in `dir`. `names` fixes the two links' names, so a pair made again after `close()`
 * appears at the same paths: a USB-serial device replugged under its /dev/serial/by-id name.
 */
export async function openPtyPair(
  dir: string,
  timeoutMs = 5_000,
  names?: { device: string; driver: string },
): Promise<PtyPair> {
  const deviceEnd = path.join(dir, names?.device ?? `device-${process.pid}-${Date.now()}`);
  const driverEnd = path.join(dir, names?.driver ?? `driver-${process.pid}-${Date.now()}`);
  const socat: ChildProcess = spawn(
    'socat',
    [`pty,raw,echo=0,link=${deviceEnd}`, `pty,raw,echo=0,link=${driverEnd}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  socat.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => {
    socat.once('exit', () => resolve());
    socat.once('error', () => resolve());
  });
  const deadline = Date.now() + timeoutMs;
  while (!(fs.existsSync(deviceEnd) && fs.existsSync(driverEnd))) {
    if (Date.now() > deadline || socat.exitCode !== null) {
      socat.kill('SIGKILL');
      throw new Error(`socat did not make a PTY pair: ${stderr.trim() || 'no output'} (${PTY_SKIP_REASON})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    deviceEnd,
    driverEnd,
    close: async () => {
      if (socat.exitCode === null) socat.kill('SIGTERM');
      await exited;
    },
  };
}

/** The device's end of a PTY pair as a plain serial port that keeps every byte it receives. */
export interface PtyDevice {
  bytes(): Buffer;
  write(data: Uint8Array): Promise<void>;
}

/**
 * A vitest `test` with three fixtures: `pty` (a fresh pair, closed after the test), `device` (its
 * device end, opened), and `transport` (made by `makeTransport` on the driver end, closed after the
 * test, before the pair).
 */
export function ptyTest<T extends { close(): Promise<void> }>(makeTransport: (driverEnd: string) => T) {
  return base.extend<{ pty: PtyPair; device: PtyDevice; transport: T }>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
    pty: async ({}, use) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pty-'));
      const pair = await openPtyPair(dir);
      try {
        await use(pair);
      } finally {
        await pair.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    device: async ({ pty }, use) => {
      const port = new SerialPort({ path: pty.deviceEnd, baudRate: 9600, autoOpen: false });
      const chunks: Buffer[] = [];
      port.on('data', (chunk: Buffer) => chunks.push(chunk));
      port.on('error', () => {});
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      await use({
        bytes: () => Buffer.concat(chunks),
        write: (data) =>
          new Promise((resolve, reject) => {
            port.write(Buffer.from(data));
            port.drain((err) => (err ? reject(err) : resolve()));
          }),
      });
      if (port.isOpen) await new Promise((resolve) => port.close(resolve));
    },
    transport: async ({ pty }, use) => {
      const transport = makeTransport(pty.driverEnd);
      await use(transport);
      await transport.close();
    },
  });
}
