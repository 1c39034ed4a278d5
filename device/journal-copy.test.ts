/**
 * The copy of a journal that read-only commands read where its folder can't be written (the disks
 * themselves: disk-faults.test.ts). Here: the copy holds what is committed in the WAL too, refuses
 * every write naming the journal, and copies left by a killed command are removed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { JournalError } from '../sync/journal/errors.ts';
import { openJournal, payment, test } from '../sync/journal/fixtures.ts';
import { copyJournalForReading } from './journal-copy.ts';

const cause = new JournalError('READ_ONLY', 'The data folder is on a read-only disk.', 'journal.sqlite');

describe('copyJournalForReading', () => {
  test('reads every committed payment, the WAL included, and refuses writes naming the journal', ({
    journal,
    signer,
  }) => {
    const ids = [1, 2, 3].map(
      () => journal.capture(payment(), () => ({ status: 'accepted_offline' })).paymentId,
    );
    // Still open: the payments are in the -wal file, not yet in the main file.
    expect(fs.statSync(`${journal.file}-wal`).size).toBeGreaterThan(0);
    const copy = copyJournalForReading(journal.file, cause);
    try {
      expect(path.dirname(copy.file).startsWith(os.tmpdir())).toBe(true);
      expect(fs.statSync(path.dirname(copy.file)).mode & 0o777).toBe(0o700);
      const read = openJournal(path.dirname(copy.file), signer, { copyOf: journal.file });
      try {
        expect(read.payments({ limit: 10 }).map((p) => p.paymentId)).toEqual([...ids].reverse());
        let refused: unknown;
        try {
          read.capture(payment(), () => ({ status: 'accepted_offline' }));
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
    // The journal itself is untouched and still takes payments.
    expect(journal.payments({ limit: 10 })).toHaveLength(3);
    journal.capture(payment(), () => ({ status: 'accepted_offline' }));
  });

  test('removes the copies of a command that was killed, not those of one still running', ({ journal }) => {
    journal.capture(payment(), () => ({ status: 'accepted_offline' }));
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid as number;
    const stale = fs.mkdtempSync(path.join(os.tmpdir(), `suanpan-journal-copy-${gone}-`));
    const running = fs.mkdtempSync(path.join(os.tmpdir(), `suanpan-journal-copy-${process.ppid}-`));
    try {
      const copy = copyJournalForReading(journal.file, cause);
      copy.remove();
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(running)).toBe(true);
    } finally {
      fs.rmSync(stale, { recursive: true, force: true });
      fs.rmSync(running, { recursive: true, force: true });
    }
  });

  test('throws the reason the journal could not be opened when it can not be copied either', ({ tmpDir }) => {
    expect(() => copyJournalForReading(path.join(tmpDir, 'journal.sqlite'), cause)).toThrow(cause);
  });
});
