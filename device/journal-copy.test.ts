/**
 * The copy of a journal that read-only commands read where its folder can't be written (the disks
 * themselves: disk-faults.test.ts). Here: the copy holds what is committed in the WAL too and none
 * of the payment codes, refuses every write naming the journal, and copies left by a killed command
 * are removed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { JournalError } from '../sync/journal/errors.ts';
import { damageRootPage, openJournal, payment, test } from '../sync/journal/fixtures.ts';
import { copyJournalForReading, removeStaleJournalCopies } from './journal-copy.ts';

const cause = new JournalError('READ_ONLY', 'The data folder is on a read-only disk.', 'journal.sqlite');
const accept = () => ({ status: 'accepted_offline' as const });

describe('copyJournalForReading', () => {
  test('reads every committed payment, the WAL included, without their codes, and refuses writes', ({
    journal,
    signer,
  }) => {
    const captured = [1, 2, 3].map(() => payment());
    const ids = captured.map((p) => journal.capture(p, accept).paymentId);
    // Still open: the payments are in the -wal file, not yet in the main file.
    expect(fs.statSync(`${journal.file}-wal`).size).toBeGreaterThan(0);
    const copy = copyJournalForReading(journal.file, cause);
    try {
      expect(path.dirname(copy.file).startsWith(os.tmpdir())).toBe(true);
      expect(fs.statSync(path.dirname(copy.file)).mode & 0o777).toBe(0o700);
      // Not a byte of any code in the copy's files, before anything reads it.
      for (const name of fs.readdirSync(path.dirname(copy.file))) {
        const bytes = fs.readFileSync(path.join(path.dirname(copy.file), name));
        for (const p of captured) expect(bytes.includes(p.code)).toBe(false);
      }
      const read = openJournal(path.dirname(copy.file), signer, { copyOf: journal.file });
      try {
        expect(read.payments({ limit: 10 }).map((p) => p.paymentId)).toEqual([...ids].reverse());
        expect(read.paymentCode(ids[0] as string)).toBeUndefined();
        let refused: unknown;
        try {
          read.capture(payment(), accept);
        } catch (err) {
          refused = err;
        }
        expect(refused).toMatchObject({ code: 'READ_ONLY', file: journal.file });
        expect((refused as Error).message).toContain(`the journal ${journal.file} could only be read`);
        expect(() => read.recordSync(new Date())).toThrow(/could only be read, from a copy/);
      } finally {
        read.close();
      }
    } finally {
      copy.remove();
    }
    expect(fs.existsSync(path.dirname(copy.file))).toBe(false);
    // The journal itself is untouched: its codes kept, and it still takes payments.
    expect(journal.paymentCode(ids[0] as string)).toBe(captured[0]?.code);
    journal.capture(payment(), accept);
  });

  test('a journal it can not copy: the reason it could not be opened, and why no copy', ({ tmpDir }) => {
    let error: unknown;
    try {
      copyJournalForReading(path.join(tmpDir, 'journal.sqlite'), cause);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'READ_ONLY', file: 'journal.sqlite' });
    expect((error as Error).message).toMatch(
      /^The data folder is on a read-only disk\. It could not be read from a copy either: .*is gone or empty\.$/,
    );
  });
});

describe('copyJournalForReading, the copy removed', () => {
  test('when the command exits without removing it, and when a signal ends it', async ({ journal }) => {
    journal.capture(payment(), accept);
    const child = (ending: string) =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `import { copyJournalForReading } from './device/journal-copy.ts';
           import { JournalError } from './sync/journal/errors.ts';
           const copy = copyJournalForReading(${JSON.stringify(journal.file)}, new JournalError('READ_ONLY', 'x'));
           console.log(copy.file);
           ${ending}`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
    const copied = async (c: ReturnType<typeof child>) =>
      String((await once(c.stdout as NodeJS.ReadableStream, 'data'))[0]).trim();
    const exits = child('');
    const first = await copied(exits);
    await once(exits, 'exit');
    expect(fs.existsSync(path.dirname(first))).toBe(false);
    const waits = child('setInterval(() => {}, 1000);');
    const second = await copied(waits);
    expect(fs.existsSync(second)).toBe(true);
    waits.kill('SIGTERM');
    const [code] = await once(waits, 'exit');
    expect(code).toBe(143); // still ended by it: 128 + SIGTERM's number, as a shell reports it
    expect(fs.existsSync(path.dirname(second))).toBe(false);
    // A signal that comes while the command works synchronously (as queue and export do) and
    // removes the copy before the event loop turns: still ends the process.
    const busy = child(
      'const until = Date.now() + 1500; while (Date.now() < until) {} copy.remove(); setTimeout(() => {}, 3000);',
    );
    const third = await copied(busy);
    busy.kill('SIGTERM');
    expect((await once(busy, 'exit'))[0]).toBe(143);
    expect(fs.existsSync(path.dirname(third))).toBe(false);
  });

  test('a journal found damaged in the copy is CORRUPT, named as the journal', ({ tmpDir, signer }) => {
    const j = openJournal(tmpDir, signer);
    j.capture(payment(), accept);
    j.close();
    const file = path.join(tmpDir, 'journal.sqlite');
    damageRootPage(file, 'payments', 0, 8);
    let error: unknown;
    try {
      copyJournalForReading(file, cause);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CORRUPT', file });
    expect((error as Error).message).toMatch(
      /^The journal .* is damaged \(SQLite: .*\), as a copy of it shows/,
    );
  });
});

describe('removeStaleJournalCopies', () => {
  test('removes the copies of a command that was killed or a day old, not those of one running', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const made = (pid: number) => fs.mkdtempSync(path.join(os.tmpdir(), `suanpan-journal-copy-${pid}-`));
    const stale = made(gone);
    const running = made(process.ppid);
    const old = made(process.ppid);
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    fs.utimesSync(old, dayAgo, dayAgo);
    // Another user's (a technician's `sudo suanpan queue` killed): not ours to remove, no error.
    const othersUser = made(gone);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) fs.chownSync(othersUser, 65534, 65534);
    try {
      removeStaleJournalCopies();
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(running)).toBe(true);
      expect(fs.existsSync(old)).toBe(false);
      expect(fs.existsSync(othersUser)).toBe(asRoot);
    } finally {
      for (const d of [stale, running, old, othersUser]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
