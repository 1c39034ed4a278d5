import fs from 'node:fs';
import path from 'node:path';

/**
 * Every way the journal can fail, classified in one place. A message names the file and says what
 * to do; it never asks anyone to delete the journal, because that would lose payments.
 */
export type JournalErrorCode =
  /** The file is not a journal or is damaged. Nothing is written to it. */
  | 'CORRUPT'
  /** The file or its folder can't be written (permissions, read-only disk). */
  | 'READ_ONLY'
  /** No space left: the operation was rolled back, earlier payments are intact. */
  | 'DISK_FULL'
  /** WAL and synchronous=FULL could not be set: payments are refused. */
  | 'NOT_DURABLE'
  /** Another process held the journal's write lock for longer than the busy timeout. */
  | 'BUSY'
  /** The journal needs upgrading, and an older Suanpan still has it open: nothing was changed. */
  | 'UPGRADE_BLOCKED'
  /** The terminal has a journal on record but its file is gone. */
  | 'MISSING'
  /** Written by a newer Suanpan whose schema this build does not know. */
  | 'TOO_NEW'
  /** The journal belongs to another terminal key. */
  | 'WRONG_KEY'
  /** This payment code was already used on this terminal. */
  | 'CODE_USED'
  /** A state change the payment's current state does not allow. */
  | 'ILLEGAL_TRANSITION'
  | 'NOT_FOUND'
  /** Any other I/O failure reported by SQLite or the file system. */
  | 'IO';

export class JournalError extends Error {
  constructor(
    readonly code: JournalErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JournalError';
  }
}

interface SystemLikeError {
  code?: string;
  message?: string;
}

/**
 * Maps a better-sqlite3 `SqliteError` (code `SQLITE_*`) or a Node system error (`EACCES`, ...) to a
 * JournalError with a message for people. `what` says what was being done ("recording the payment").
 */
export function classifyJournalError(err: unknown, file: string, what: string): JournalError {
  if (err instanceof JournalError) return err;
  const e = (err ?? {}) as SystemLikeError;
  const code = e.code ?? '';
  const detail = e.message ?? String(err);
  const make = (c: JournalErrorCode, message: string) => new JournalError(c, message, file, { cause: err });
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return make(
      'CORRUPT',
      `The journal ${file} is damaged (${detail}) while ${what}. Nothing was written to it. ` +
        'Stop taking payments on this terminal, copy the file (with its -wal and -shm files, if any) ' +
        'somewhere safe, keep the original as it is, and contact support with the copy.',
    );
  }
  if (
    code.startsWith('SQLITE_FULL') ||
    code === 'ENOSPC' ||
    (code === 'SQLITE_IOERR_WRITE' && /space/i.test(detail)) ||
    // SQLite says only "disk I/O error" when it can't grow the -shm file at open.
    (code.startsWith('SQLITE_IOERR') && noSpaceBeside(file))
  ) {
    return make(
      'DISK_FULL',
      `No space left for the journal ${file} while ${what}: that operation was not recorded; ` +
        'everything recorded before is intact. Free space on the data disk, then try again.',
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    const locked = unwritable(file);
    if (locked.length > 0) {
      // One of the files itself (its -wal and -shm take the journal's mode when made: a read-only
      // journal opened once leaves them read-only after the journal is made writable again).
      return make(
        'READ_ONLY',
        `The journal ${file} cannot be written (${detail}) while ${what}: ${locked.map((f) => `${f.name} is mode ${f.mode}`).join(', ')}, not writable by this user. Make them writable by the user running Suanpan (chmod 600 ${locked.map((f) => f.name).join(' ')}); nothing recorded is lost.`,
      );
    }
    return make(
      'READ_ONLY',
      `The journal ${file} cannot be written (${detail}) while ${what}. Check that the data folder is ` +
        'on a writable disk and belongs to the user running Suanpan; nothing recorded is lost.',
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return make(
      'BUSY',
      `The journal ${file} is being written by another process, so ${what} could not go ahead. ` +
        'Only one Suanpan process should take payments per data folder: stop the other one ' +
        '(`suanpan` CLI or the terminal host), then try again.',
    );
  }
  if (code === 'SQLITE_CANTOPEN') {
    return make(
      'READ_ONLY',
      `The journal ${file} cannot be opened (${detail}) while ${what}. Check that the data folder exists, ` +
        'is writable and is on a mounted disk.',
    );
  }
  return make('IO', `The journal ${file} failed while ${what}: ${detail}`);
}

/** Whether the disk holding `file` has (almost) no space left: under 64 KiB free to this user. */
function noSpaceBeside(file: string): boolean {
  try {
    const disk = fs.statfsSync(path.dirname(file));
    return disk.bavail * disk.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/** Of the journal and its -wal and -shm, those there and not writable by this process's user. */
function unwritable(file: string): { name: string; mode: string }[] {
  const found: { name: string; mode: string }[] = [];
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.accessSync(name, fs.constants.W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const mode = fs.statSync(name, { throwIfNoEntry: false })?.mode;
      if (mode !== undefined) found.push({ name, mode: `0${(mode & 0o777).toString(8)}` });
    }
  }
  return found;
}
