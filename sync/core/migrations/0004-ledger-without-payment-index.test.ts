/**
 * Migration 0004 on a real database of each backend, brought to version 3 and seeded first: the
 * ledger's index by payment goes, its rows stay, and the ledger takes rows as before.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { Queryable } from '../db.ts';
import { migrateCore } from '../migrate.ts';
import { describeOnBackends } from './testing.ts';

const ledgerIndexes = async (db: Queryable) =>
  (
    await db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_entries' ORDER BY 1",
    )
  ).rows.map((r) => r.indexname);

/** A payment's two ledger rows, wallet to merchant, as writeBatch writes them. */
const post = (db: Queryable, paymentId: string, minor: number) =>
  db.query(
    `INSERT INTO ledger_entries (terminal_id, payment_id, account, amount_minor, currency, kind)
     VALUES ('sp-0000000000000001', $1, 'wallet:w', -$2::bigint, 'CNY', 'payment'),
            ('sp-0000000000000001', $1, 'merchant:m', $2::bigint, 'CNY', 'payment')`,
    [paymentId, minor],
  );

await describeOnBackends('core migration 0004', (openDb) => {
  it('drops the index by payment and keeps the ledger', async () => {
    const db = await openDb({ migrateTo: null });
    expect(await migrateCore(db, { to: 3 })).toBe(3);
    await post(db, crypto.randomUUID(), 1250);
    expect(await ledgerIndexes(db)).toEqual(['ledger_by_payment', 'ledger_entries_pkey']);

    expect(await migrateCore(db)).toBe(4);
    expect(await ledgerIndexes(db)).toEqual(['ledger_entries_pkey']);
    await post(db, crypto.randomUUID(), 700);
    const sums = await db.query<{ account: string; s: number }>(
      'SELECT account, sum(amount_minor)::int AS s FROM ledger_entries GROUP BY 1 ORDER BY 1',
    );
    expect(sums.rows).toEqual([
      { account: 'merchant:m', s: 1950 },
      { account: 'wallet:w', s: -1950 },
    ]);

    // Migrating again applies nothing.
    expect(await migrateCore(db)).toBe(4);
  });
});
