import type { Migration } from './migration.ts';

/**
 * How far this terminal has uploaded with nothing left behind but parked payments. The core counts
 * its contiguous seqs and stops at a parked one's gap; without this mark every later sync would send
 * every payment after that gap again.
 */
export const migration: Migration = {
  version: 6,
  name: 'sync-upload-mark',
  up(db) {
    db.exec('ALTER TABLE sync_state ADD COLUMN uploaded_through_seq INTEGER NOT NULL DEFAULT 0;');
  },
};
