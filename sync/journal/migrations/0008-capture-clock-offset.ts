import type { Migration } from './migration.ts';

/**
 * The clock offset (core clock − terminal clock) the terminal knew when it captured a payment, as
 * its `captured` entry records it (null: not known then, and every payment captured before this
 * migration). The core judges an offline payment's code at the capture time corrected by this
 * offset: by the offset it measures at sync, a clock set right after the capture would move the
 * capture by the whole correction. A projection of the entry like the other columns, checked
 * against it by `journal verify`.
 */
export const migration: Migration = {
  version: 8,
  name: 'capture-clock-offset',
  up(db) {
    db.exec('ALTER TABLE payments ADD COLUMN clock_offset_ms INTEGER');
  },
};
