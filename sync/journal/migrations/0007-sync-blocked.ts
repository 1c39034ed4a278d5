import type { Migration } from './migration.ts';

/**
 * Why the core refuses this terminal's payments for good (revoked, journal diverged or behind), until
 * a sync succeeds again. Kept apart from the last attempt's error, which an unreachable core
 * overwrites: a revoked terminal that then goes offline must still not take payments offline it
 * could never forward.
 */
export const migration: Migration = {
  version: 7,
  name: 'sync-blocked',
  up(db) {
    db.exec(`
      ALTER TABLE sync_state ADD COLUMN blocked_code TEXT;
      ALTER TABLE sync_state ADD COLUMN blocked_message TEXT;
      ALTER TABLE sync_state ADD COLUMN blocked_at TEXT;
    `);
  },
};
