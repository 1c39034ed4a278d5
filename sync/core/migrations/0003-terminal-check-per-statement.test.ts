/**
 * Migration 0003 on a real database of each backend (a new PostgreSQL database, a PGlite folder),
 * brought to version 2 and seeded first: the per-row foreign key from payments to terminals gives
 * way to a check per statement, and what the key guarded stays guarded.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { Queryable } from '../db.ts';
import { migrateCore } from '../migrate.ts';
import { describeOnBackends } from './testing.ts';

const MERCHANT = crypto.randomUUID();
const T1 = 'sp-0000000000000001';
const T2 = 'sp-0000000000000002';

/**
 * Payments as the core writes a batch: one INSERT of several rows (here one per terminal named),
 * in a WITH with ON CONFLICT DO NOTHING, as writeBatch does; the table named with its schema, so
 * that it can be run under an empty search_path, as a restore does.
 */
function insertPayments(db: Queryable, rows: { terminalId: string; seq: number }[]) {
  return db.query(
    `WITH ins AS (
       INSERT INTO public.payments (terminal_id, payment_id, seq, merchant_id, amount_minor, currency, scheme,
                                    code_hash, captured_at, mode, state)
       SELECT r.terminal_id, gen_random_uuid(), r.seq, $3, 1250, 'CNY', 'alipay', '\\x00', now(), 'offline',
              'settled'
       FROM unnest($1::text[], $2::bigint[]) AS r(terminal_id, seq)
       ON CONFLICT DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [rows.map((r) => r.terminalId), rows.map((r) => r.seq), MERCHANT],
  );
}

await describeOnBackends('core migration 0003', (openDb) => {
  it('refuses a payment of an unknown terminal, and keeps terminals from going away', async () => {
    const db = await openDb({ migrateTo: null });
    expect(await migrateCore(db, { to: 2 })).toBe(2);
    await db.query("INSERT INTO merchants (merchant_id, name) VALUES ($1, 'Shop')", [MERCHANT]);
    for (const id of [T1, T2]) {
      await db.query(
        `INSERT INTO terminals (terminal_id, merchant_id, public_key, status, activated_at)
       VALUES ($1, $2, $3, 'active', now())`,
        [id, MERCHANT, crypto.randomBytes(44)],
      );
    }
    await insertPayments(db, [{ terminalId: T1, seq: 1 }]);

    expect(await migrateCore(db, { to: 3 })).toBe(3);
    const fk = await db.query("SELECT 1 FROM pg_constraint WHERE conname = 'payments_terminal_id_fkey'");
    expect(fk.rows).toEqual([]);

    // Known terminals: a batch of payments goes in, for one terminal or several.
    await insertPayments(db, [
      { terminalId: T1, seq: 2 },
      { terminalId: T1, seq: 3 },
      { terminalId: T2, seq: 1 },
    ]);
    // An unknown one, alone or among known ones: the whole statement is refused, as by the key.
    const unknown = 'sp-00000000000000ff';
    await expect(insertPayments(db, [{ terminalId: unknown, seq: 1 }])).rejects.toMatchObject({
      code: '23503',
      message: expect.stringContaining(`terminal ${unknown}, which is not among the terminals`),
    });
    await expect(
      insertPayments(db, [
        { terminalId: T1, seq: 4 },
        { terminalId: unknown, seq: 2 },
      ]),
    ).rejects.toMatchObject({ code: '23503' });
    // Under an empty search_path (as pg_restore runs), the check still finds the terminals.
    const underEmptyPath = (rows: { terminalId: string; seq: number }[]) =>
      db.transaction(async (tx) => {
        await tx.query("SET LOCAL search_path = ''");
        return insertPayments(tx, rows);
      });
    await underEmptyPath([{ terminalId: T2, seq: 2 }]);
    await expect(underEmptyPath([{ terminalId: unknown, seq: 3 }])).rejects.toMatchObject({
      code: '23503',
    });
    const held = await db.query<{ terminal_id: string; n: number }>(
      'SELECT terminal_id, count(*)::int AS n FROM payments GROUP BY 1 ORDER BY 1',
    );
    expect(held.rows).toEqual([
      { terminal_id: T1, n: 3 },
      { terminal_id: T2, n: 2 },
    ]);

    // What the key kept from happening: a terminal deleted (or truncated away) under its payments,
    // a terminal's id changed, a payment moved to another terminal.
    await expect(db.query('DELETE FROM terminals WHERE terminal_id = $1', [T1])).rejects.toThrow(
      /revoked, never deleted/,
    );
    await expect(db.query('TRUNCATE terminals CASCADE')).rejects.toThrow(/revoked, never deleted/);
    await expect(
      db.query("UPDATE terminals SET terminal_id = 'sp-00000000000000ee' WHERE terminal_id = $1", [T2]),
    ).rejects.toThrow(/id never changes/);
    await expect(
      db.query('UPDATE payments SET terminal_id = $1 WHERE terminal_id = $2', [T2, T1]),
    ).rejects.toThrow(/terminal never changes/);
    // Updates that leave the ids as they are go through.
    await db.query('UPDATE terminals SET terminal_id = terminal_id, last_seen_at = now()');
    await db.query("UPDATE payments SET terminal_id = terminal_id, state = 'voided' WHERE seq = 1");
    const terminals = await db.query('SELECT terminal_id FROM terminals ORDER BY 1');
    expect(terminals.rows).toEqual([{ terminal_id: T1 }, { terminal_id: T2 }]);

    // Migrating again applies nothing.
    expect(await migrateCore(db, { to: 3 })).toBe(3);
  });
});
