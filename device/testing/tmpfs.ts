/**
 * A small tmpfs for tests of full and read-only disks. Mounting needs root (CI runs as root); on a
 * developer machine without it those tests skip and say so. With CI=true they always run, so a
 * machine that can't mount fails them instead of hiding them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const canMount = process.getuid?.() === 0 || process.env.CI === 'true';
export const mountSkipReason = 'needs root to mount a tmpfs (package util-linux); runs in CI';

export interface Tmpfs {
  dir: string;
  remount(options: string): void;
  unmount(): void;
}

export function mountTmpfs(size: string): Tmpfs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    remount: (options) => execFileSync('mount', ['-o', `remount,${options}`, dir]),
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a file until the disk is full. */
export function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler.bin');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0xaa);
  try {
    for (;;) {
      try {
        fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // Fill the last partial chunk's worth too.
        try {
          for (;;) fs.writeSync(fd, chunk.subarray(0, 512));
        } catch {
          return file;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
