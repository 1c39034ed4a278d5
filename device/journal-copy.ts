/**
 * Reading a journal that can't be opened where it is: its data folder is on a read-only disk (a
 * card that went read-only after errors), a full one, or one this user can't write. SQLite's WAL
 * mode must create or grow the journal's `-shm` file even to read, so `queue`, `payments`,
 * `journal verify` and `journal export` read a copy instead: the journal and its `-wal` copied into
 * a private folder under the system's temporary folder. Nothing can be recorded on the copy (see
 * JournalOptions.copyOf).
 *
 * The copy holds no payment code for longer than it takes to erase them: none of these commands
 * needs one, and a code is a credential (see DESIGN.md). They are overwritten with zeros in the copy
 * (secure_delete) before anything reads it. The copy is removed when the command ends, at exit
 * and on SIGINT, SIGTERM or SIGHUP too; what a SIGKILL left (its process gone, or older than a day)
 * is removed by the next of these commands.
 *
 * A writer still running on a full disk (its WAL is rewritten in place, so it may still commit)
 * could change the files between the two copies: they are copied again until both are unchanged
 * from before to after (size, times and inode), and the copy, a file new here, gets SQLite's
 * integrity_check when it is opened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JournalError } from '../sync/journal/errors.ts';
import { pidAlive } from './pid-alive.ts';

const PREFIX = 'suanpan-journal-copy-';
const ATTEMPTS = 5;
/** A copy this old is left over whatever its pid says (the pid may be another process's now). */
const STALE_AFTER_MS = 24 * 3600 * 1000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** This process's copies not removed yet. */
const live = new Set<string>();
let removingAtExit = false;

/**
 * Copies are removed when the command ends, also at exit or on a signal. The handlers stay for the
 * life of the process (a short command): a signal that comes during synchronous work is handled
 * only after it, when the copy may be gone already, and removing the last listener then would not
 * bring the signal's default back in every case (with tsx's loader thread it did not). A signal no
 * one else listens for ends the process as it would have: exit code 128 + its number.
 */
function removeAtExit(): void {
  if (removingAtExit) return;
  removingAtExit = true;
  const removeAll = () => {
    for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
    live.clear();
  };
  process.on('exit', removeAll);
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      removeAll();
      if (process.listenerCount(signal) === 1) process.exit(128 + os.constants.signals[signal]);
    });
  }
}

export interface JournalCopy {
  /** The copied journal file. */
  file: string;
  /** Removes the copy. */
  remove(): void;
}

/**
 * Copies `file` and its `-wal` into a new private folder and erases the payment codes in the copy.
 * When no copy can be made, throws `cause` (why the journal couldn't be opened) with the reason.
 */
export function copyJournalForReading(file: string, cause: JournalError): JournalCopy {
  const tmp = os.tmpdir();
  const fail = (why: string, err?: unknown) =>
    new JournalError(
      cause.code,
      `${cause.message} It could not be read from a copy either: ${why}.`,
      cause.file,
      {
        cause: err ?? cause,
      },
    );
  let dir: string;
  try {
    const size = fileSize(file) + fileSize(`${file}-wal`);
    const { bavail, bsize } = fs.statfsSync(tmp);
    if (bavail * bsize < size * 1.1 + (1 << 20)) {
      throw fail(
        `the temporary folder ${tmp} has ${mib(bavail * bsize)} free, and the copy needs ${mib(size)}`,
      );
    }
    dir = fs.mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`));
  } catch (err) {
    if (err instanceof JournalError) throw err;
    throw fail(`no folder for it in ${tmp} (${(err as Error).message})`, err);
  }
  const copy = path.join(dir, path.basename(file));
  const remove = () => {
    live.delete(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  live.add(dir);
  removeAtExit();
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = versions(file);
      fs.rmSync(`${copy}-wal`, { force: true });
      fs.copyFileSync(file, copy);
      if (before.wal) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
      if (sameVersions(before, versions(file))) {
        eraseCodes(copy);
        return { file: copy, remove };
      }
    }
  } catch (err) {
    remove();
    const code = String((err as { code?: string }).code);
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
      throw new JournalError(
        'CORRUPT',
        `The journal ${file} is damaged (SQLite: ${(err as Error).message}), as a copy of it shows (it could not be opened in place, so it was read from a copy). No payment is taken on it. Keep the file (with its -wal and -shm files) as it is, and contact support.`,
        file,
        { cause: err },
      );
    }
    throw fail((err as Error).message, err);
  }
  remove();
  throw fail('the journal kept changing while it was copied (another Suanpan is taking payments); try again');
}

/**
 * Copies this user's commands left when killed: the process is gone, or the copy is a day old.
 * Best effort: whatever can't be read or removed (another user's) is left, never an error.
 */
export function removeStaleJournalCopies(): void {
  const tmp = os.tmpdir();
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^suanpan-journal-copy-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    const dir = path.join(tmp, name);
    try {
      const stat = fs.statSync(dir);
      if (stat.uid !== process.getuid?.()) continue;
      if (pidAlive(pid) && Date.now() - stat.mtimeMs < STALE_AFTER_MS) continue;
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

/**
 * Overwrites the copy's payment codes with zeros: in the payment's row (schema 9 on), or in the
 * code vault of an older journal, which opening the copy then upgrades. The WAL is folded into the
 * file and emptied, so the zeroed pages are the only ones left.
 */
function eraseCodes(copy: string): void {
  const db = new Database(copy);
  try {
    db.pragma('secure_delete = ON');
    const has = (sql: string) => db.prepare(sql).get() !== undefined;
    if (has("SELECT 1 FROM pragma_table_info('payments') WHERE name = 'code'"))
      db.prepare('UPDATE payments SET code = NULL WHERE code IS NOT NULL').run();
    if (has("SELECT 1 FROM sqlite_schema WHERE name = 'payment_code_vault'"))
      db.prepare('DELETE FROM payment_code_vault').run();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

interface Versions {
  db: string;
  wal: string | null;
}

function versions(file: string): Versions {
  const version = (f: string) => {
    const s = fs.statSync(f, { bigint: true, throwIfNoEntry: false });
    return s && s.size > 0n ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : null;
  };
  const db = version(file);
  if (db === null) throw new Error(`${file} is gone or empty`);
  return { db, wal: version(`${file}-wal`) };
}

function sameVersions(a: Versions, b: Versions): boolean {
  return a.db === b.db && a.wal === b.wal;
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
