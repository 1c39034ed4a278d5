import type Database from 'better-sqlite3';

/**
 * One numbered schema change. `up` runs inside a transaction together with the `user_version`
 * bump, so a crash leaves the journal at the version before or after, never between.
 */
export interface Migration {
  /** 1, 2, 3, ...: equal to the file's number and to `PRAGMA user_version` after it ran. */
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}
