import type Database from 'better-sqlite3';
import { JournalError } from '../errors.ts';
import { openMarkFile, otherProcessesHolding } from '../holders.ts';
import { migration as m0001 } from './0001-journal-entries.ts';
import { migration as m0002 } from './0002-payments-projection.ts';
import { migration as m0003 } from './0003-payment-code-vault.ts';
import { migration as m0004 } from './0004-sync-state.ts';
import { migration as m0005 } from './0005-sync-parking.ts';
import { migration as m0006 } from './0006-sync-upload-mark.ts';
import { migration as m0007 } from './0007-sync-blocked.ts';
import { migration as m0008 } from './0008-capture-clock-offset.ts';
import { migration as m0009 } from './0009-payment-code-in-row.ts';
import { migration as m0010 } from './0010-head-signed-later.ts';
import { migration as m0011 } from './0011-sync-results-entries.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

/** Every migration, in order. A new one is a new numbered file appended here. */
export const MIGRATIONS: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
];
export const LATEST_VERSION = MIGRATIONS.length;

/**
 * Brings the journal to `target` (default: latest), one transaction per migration. A journal newer
 * than this build is refused rather than opened, since we would not know its rules; one that needs
 * upgrading while an older Suanpan still has it open is refused as UPGRADE_BLOCKED.
 */
export function migrate(db: Database.Database, file: string, target = LATEST_VERSION): number {
  MIGRATIONS.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION) {
    throw new JournalError(
      'TOO_NEW',
      `The journal ${file} has schema version ${current}, newer than this Suanpan knows (${LATEST_VERSION}). ` +
        'It was written by a newer version: install that version again; nothing has been changed.',
      file,
    );
  }
  let checked = false;
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      // Read again under the write lock: another process may have applied it since the read above.
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now >= m.version) return;
      // Under the write lock too, so no older Suanpan opens the journal unseen in between.
      if (!checked && now > 0 && file !== ':memory:') assertNoOlderHolder(file, now, target);
      checked = true;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Refuses to upgrade an existing journal that another process holds without this build's mark
 * (see holders.ts): an older Suanpan still running on it.
 */
function assertNoOlderHolder(file: string, current: number, target: number): void {
  const holders = otherProcessesHolding(file, openMarkFile(file, LATEST_VERSION));
  if (holders.length === 0) return;
  const named = holders.map((h) => `${h.pid} (${h.command})`).join(', ');
  throw new JournalError(
    'UPGRADE_BLOCKED',
    `The journal ${file} must be upgraded by this version of Suanpan (schema ${current} to ${target}), but ${holders.length === 1 ? 'process' : 'processes'} ${named} ${holders.length === 1 ? 'has' : 'have'} it open without this version's mark: an older Suanpan (which would fail on the upgraded journal) or another program. Stop ${holders.length === 1 ? 'it' : 'them'}, then try again; nothing has been changed.`,
    file,
  );
}
