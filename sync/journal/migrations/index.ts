import type Database from 'better-sqlite3';
import { JournalError } from '../errors.ts';
import { otherProcessesHolding } from '../holders.ts';
import { migration as m0001 } from './0001-journal-entries.ts';
import { migration as m0002 } from './0002-payments-projection.ts';
import { migration as m0003 } from './0003-payment-code-vault.ts';
import { migration as m0004 } from './0004-sync-state.ts';
import { migration as m0005 } from './0005-sync-parking.ts';
import { migration as m0006 } from './0006-sync-upload-mark.ts';
import { migration as m0007 } from './0007-sync-blocked.ts';
import { migration as m0008 } from './0008-capture-clock-offset.ts';
import { migration as m0009 } from './0009-payment-code-in-row.ts';
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
];
export const LATEST_VERSION = MIGRATIONS.length;

/**
 * Brings the journal to `target` (default: latest), one transaction per migration. A journal newer
 * than this build is refused rather than opened, since we would not know its rules; one that needs
 * upgrading while another process has it open (an older Suanpan still running) is refused as BUSY.
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
  if (current > 0 && current < target && file !== ':memory:') {
    const holders = otherProcessesHolding(file);
    if (holders.length > 0) {
      throw new JournalError(
        'BUSY',
        `The journal ${file} must be upgraded by this version of Suanpan (schema ${current} to ${target}), but ${holders.length === 1 ? `process ${holders[0]} has` : `processes ${holders.join(', ')} have`} it open: an older Suanpan still running would fail on the upgraded journal, and could lose track of the payments it takes. Stop it (the kiosk, a running suanpan command), then try again; nothing has been changed.`,
        file,
      );
    }
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      // Read again under the write lock: another process may have applied it since the read above.
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
