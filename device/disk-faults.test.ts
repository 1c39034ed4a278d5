/**
 * A full disk and a read-only disk under the data folder: each gives a clear error naming the file
 * and what to do, and loses nothing already committed. Real tmpfs mounts (root; CI runs as root).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalError } from '../sync/journal/errors.ts';
import { parseAmount } from '../sync/protocol/money.ts';
import { silentLogger } from './log.ts';
import { openTerminal, type Terminal } from './terminal.ts';
import { canMount, fillDisk, mountSkipReason, mountTmpfs } from './testing/tmpfs.ts';

let codeNo = 0;
const nextCode = () => `28${String(Date.now() % 1e8).padStart(8, '0')}${String(++codeNo).padStart(8, '0')}`;
const pay = (t: Terminal, amount = '1.00') =>
  t.checkout.pay({ amount: parseAmount(amount), code: nextCode() });

/** The commands' own temporary folder, where read-only commands copy the journal (see
 * journal-copy.ts): each command removes its copy, so none is there between commands. */
const childTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-disk-faults-tmp-'));
afterAll(() => fs.rmSync(childTmp, { recursive: true, force: true }));
const childEnv = { ...process.env, TMPDIR: childTmp };
const journalCopies = () => fs.readdirSync(childTmp).filter((n) => n.startsWith('suanpan-journal-copy-'));

function cli(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/suanpan.js', ...args, '--data-dir', dataDir, '--json'], {
    encoding: 'utf8',
    env: childEnv,
  });
  return { status: r.status, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

describe.runIf(canMount)(`disk faults (${mountSkipReason})`, () => {
  it('a full disk refuses the payment with DISK_FULL and keeps every earlier one', async () => {
    const fsys = mountTmpfs('4m');
    const dataDir = path.join(fsys.dir, 'terminal');
    try {
      const terminal = openTerminal({ dataDir, create: true, logger: silentLogger() });
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) acked.push((await pay(terminal)).payment.paymentId);
      const filler = fillDisk(fsys.dir);

      let error: unknown;
      for (let i = 0; i < 500 && !error; i++) {
        try {
          acked.push((await pay(terminal)).payment.paymentId);
        } catch (err) {
          error = err;
        }
      }
      expect(error).toBeInstanceOf(JournalError);
      expect(error).toMatchObject({ code: 'DISK_FULL', file: path.join(dataDir, 'journal.sqlite') });
      expect((error as Error).message).toMatch(/not recorded.*intact.*Free space/s);
      // Still full: still refused, still nothing half-written; the CLI says so too (and its log
      // file, on the same full disk, doesn't turn that into a crash).
      await expect(pay(terminal)).rejects.toMatchObject({ code: 'DISK_FULL' });
      const refused = cli(dataDir, 'pay', '--amount', '1.00', '--code', nextCode());
      expect(refused).toMatchObject({ status: 1, json: { ok: false, error: { code: 'DISK_FULL' } } });

      fs.rmSync(filler);
      acked.push((await pay(terminal)).payment.paymentId);
      terminal.close();

      const reopened = openTerminal({ dataDir, create: false, logger: silentLogger() });
      for (const id of acked) expect(reopened.journal.payment(id)?.status).toBe('accepted_offline');
      expect(reopened.journal.payments({ limit: 10_000 })).toHaveLength(acked.length);
      expect(
        await reopened.journal.verify({ publicKey: reopened.key.publicKey, mac: reopened.key.mac }),
      ).toMatchObject({
        ok: true,
      });
      reopened.close();
    } finally {
      fsys.unmount();
    }
  });

  it('a disk full before the journal is even opened says DISK_FULL, not a bare I/O error', async () => {
    const fsys = mountTmpfs('4m');
    const dataDir = path.join(fsys.dir, 'terminal');
    try {
      const terminal = openTerminal({ dataDir, create: true, logger: silentLogger() });
      for (let i = 0; i < 3; i++) await pay(terminal);
      // Closed: SQLite removes the -shm file, which the next open must create on the full disk.
      terminal.close();
      const filler = fillDisk(fsys.dir);
      const refused = cli(dataDir, 'pay', '--amount', '1.00', '--code', nextCode());
      expect(refused).toMatchObject({ status: 1, json: { ok: false, error: { code: 'DISK_FULL' } } });
      expect(refused.json.error.message).toContain('Free space');
      // What is stored can still be read: from a copy, since reading in WAL mode must create the
      // -shm file on the full disk; stderr says so.
      const queued = cli(dataDir, 'queue');
      expect(queued).toMatchObject({ status: 0, json: { pending: 3 } });
      expect(queued.stderr).toMatch(/disk of .* is full: read from a copy of its journal/);
      expect(cli(dataDir, 'journal', 'verify')).toMatchObject({ status: 0, json: { ok: true, entries: 3 } });
      expect(journalCopies()).toEqual([]);
      fs.rmSync(filler);
      expect(cli(dataDir, 'pay', '--amount', '1.00', '--code', nextCode()).status).toBe(0);
      const listed = cli(dataDir, 'payments');
      expect(listed.json).toHaveLength(4);
      expect(listed.stderr).not.toContain('copy');
    } finally {
      fsys.unmount();
    }
  });

  it('a read-only disk refuses payments with READ_ONLY naming the folder; nothing is lost', async () => {
    const fsys = mountTmpfs('4m');
    const dataDir = path.join(fsys.dir, 'terminal');
    try {
      const terminal = openTerminal({ dataDir, create: true, logger: silentLogger() });
      for (let i = 0; i < 3; i++) await pay(terminal);
      terminal.close();
      fsys.remount('ro');

      const refused = cli(dataDir, 'pay', '--amount', '1.00', '--code', nextCode());
      expect(refused.status).toBe(1);
      expect(refused.json.error.code).toBe('READ_ONLY');
      expect(refused.json.error.message).toContain(dataDir);
      expect(refused.json.error.message).toMatch(/read-only disk.*Nothing recorded is lost/);
      // The log can't be written either: said once on stderr, not a crash.
      expect(refused.stderr).toContain('cannot write the log file');
      // Read-only commands read a copy of the journal (SQLite can't create its -shm file here).
      const queued = cli(dataDir, 'queue');
      expect(queued).toMatchObject({ status: 0, json: { pending: 3 } });
      expect(queued.stderr).toContain(`The data folder ${dataDir} can't be written: read from a copy`);
      expect(cli(dataDir, 'payments').json).toHaveLength(3);
      expect(cli(dataDir, 'journal', 'verify')).toMatchObject({ status: 0, json: { ok: true, entries: 3 } });
      const exported = spawnSync(
        process.execPath,
        ['bin/suanpan.js', 'journal', 'export', '--format', 'jsonl', '--data-dir', dataDir],
        { encoding: 'utf8', env: childEnv },
      );
      expect(exported.stdout.trim().split('\n')).toHaveLength(3);
      expect(journalCopies()).toEqual([]);

      fsys.remount('rw');
      const verified = cli(dataDir, 'journal', 'verify');
      expect(verified).toMatchObject({ status: 0, json: { ok: true, entries: 3 } });
    } finally {
      fsys.unmount();
    }
  });
});
