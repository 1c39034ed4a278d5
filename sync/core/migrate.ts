/**
 * Numbered migrations of the core's database, applied in one transaction under an advisory lock so
 * that several core processes starting at once apply each exactly once.
 */
import type { CoreDb } from './db.ts';
import { migration as m0001 } from './migrations/0001-core.ts';
import { migration as m0002 } from './migrations/0002-orders-and-refunds.ts';
import { migration as m0003 } from './migrations/0003-terminal-check-per-statement.ts';
import { migration as m0004 } from './migrations/0004-ledger-without-payment-index.ts';

export interface CoreMigration {
  version: number;
  name: string;
  sql: string;
}

export const CORE_MIGRATIONS: readonly CoreMigration[] = [m0001, m0002, m0003, m0004];

/** Any number; it only has to be the same in every core process. ("SP" + port.) */
const MIGRATION_LOCK = 0x5350_1d06;

export interface MigrateOptions {
  /** Stop after this version (a migration's test seeds the database as its predecessor left it). */
  to?: number;
}

/** Applies the migrations not applied yet, up to `options.to` (default: all); returns that version. */
export async function migrateCore(db: CoreDb, options: MigrateOptions = {}): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS core_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM core_migrations')).rows.map((r) => r.version),
    );
    const latest = Math.max(...CORE_MIGRATIONS.map((m) => m.version));
    const unknown = [...applied].filter((v) => v > latest);
    if (unknown.length > 0) {
      throw new Error(
        `The core database has migration ${Math.max(...unknown)}, newer than this Suanpan knows (${latest}): run the newer version.`,
      );
    }
    const target = options.to ?? latest;
    for (const m of CORE_MIGRATIONS) {
      if (applied.has(m.version) || m.version > target) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO core_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    return target;
  });
}
