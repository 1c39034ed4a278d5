/**
 * Reading a journal that can't be opened where it is: its data folder is on a read-only disk (a
 * card that went read-only after errors) or a full one. SQLite's WAL mode must create or grow the
 * journal's `-shm` file even to read, so `queue`, `payments`, `journal verify` and `journal export`
 * read a copy instead: the journal and its `-wal` copied into a private folder under the system's
 * temporary folder, removed when the command ends. Nothing can be recorded on the copy (see
 * JournalOptions.copyOf).
 *
 * A writer still running on a full disk (its WAL is rewritten in place, so it may still commit)
 * could change the files between the two copies: they are copied again until both are unchanged
 * from before to after, so the copy is one moment's journal, not pages of two.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalError } from '../sync/journal/errors.ts';
import { pidAlive } from './pid-alive.ts';

const PREFIX = 'suanpan-journal-copy-';
const ATTEMPTS = 5;

export interface JournalCopy {
  /** The copied journal file. */
  file: string;
  /** Removes the copy (its raw payment codes with it). */
  remove(): void;
}

/**
 * Copies `file` and its `-wal` into a new private folder. Throws `cause` (the reason the journal
 * couldn't be opened) when there is no room for a copy either, or the journal kept changing.
 */
export function copyJournalForReading(file: string, cause: JournalError): JournalCopy {
  const tmp = os.tmpdir();
  removeStaleCopies(tmp);
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`));
  } catch {
    throw cause;
  }
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const copy = path.join(dir, path.basename(file));
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = versions(file);
      fs.rmSync(`${copy}-wal`, { force: true });
      fs.copyFileSync(file, copy);
      if (before.wal) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
      if (sameVersions(before, versions(file))) return { file: copy, remove };
    }
  } catch {
    remove();
    throw cause;
  }
  remove();
  throw new JournalError(
    'BUSY',
    `${cause.message} A copy to read could not be taken either: the journal kept changing while it was copied (another Suanpan is taking payments). Try again.`,
    file,
    { cause },
  );
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

/** Copies left by a command that was killed (its pid is gone). */
function removeStaleCopies(tmp: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^suanpan-journal-copy-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
}
