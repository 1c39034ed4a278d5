/**
 * Migration 0002 on a real database of each backend (a new PostgreSQL database, a PGlite folder),
 * brought to version 1 and seeded first.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { CoreDb } from '../db.ts';
import { migrateCore } from '../migrate.ts';
import { LOCK_ORDER_SQL } from '../service.ts';
import { describeOnBackends } from './testing.ts';

const MERCHANT = crypto.randomUUID();

async function seedTerminal(db: CoreDb, terminalId: string): Promise<void> {
  await db.query(
    `INSERT INTO terminals (terminal_id, merchant_id, public_key, status, activated_at)
     VALUES ($1, $2, $3, 'active', now())`,
    [terminalId, MERCHANT, crypto.randomBytes(44)],
  );
}

/** A payment row as the core writes one; `expiresAt` (a column from 0002 on) only when given. */
function insertPayment(
  db: CoreDb,
  p: { terminalId: string; paymentId?: string; seq: number; state: string; expiresAt?: Date },
) {
  const params = [
    p.terminalId,
    p.paymentId ?? crypto.randomUUID(),
    p.seq,
    MERCHANT,
    p.state,
    crypto.randomBytes(32),
  ];
  const expiry = p.expiresAt ? { column: ', expires_at', value: ', $7' } : { column: '', value: '' };
  return db.query(
    `INSERT INTO payments (terminal_id, payment_id, seq, merchant_id, amount_minor, currency, scheme, code_hash,
                           captured_at, mode, state${expiry.column})
     VALUES ($1, $2, $3, $4, 1250, 'CNY', 'alipay', $6, now(), 'online', $5${expiry.value})`,
    p.expiresAt ? [...params, p.expiresAt] : params,
  );
}

await describeOnBackends('core migration 0002', (openDb) => {
  it('migrates a version 1 database with payments in it: orders, their expiry, refunds', async () => {
    const db = await openDb({ migrateTo: null });
    expect(await migrateCore(db, { to: 1 })).toBe(1);
    await db.query("INSERT INTO merchants (merchant_id, name) VALUES ($1, 'Shop')", [MERCHANT]);
    await seedTerminal(db, 'sp-0000000000000001');
    await seedTerminal(db, 'sp-0000000000000002');
    const kept = crypto.randomUUID();
    await insertPayment(db, {
      terminalId: 'sp-0000000000000001',
      paymentId: kept,
      seq: 1,
      state: 'approved',
    });
    await expect(
      insertPayment(db, { terminalId: 'sp-0000000000000001', seq: 2, state: 'pending' }),
    ).rejects.toThrow(/payments_state_check/);

    expect(await migrateCore(db, { to: 2 })).toBe(2);
    const versions = await db.query<{ version: number }>('SELECT version FROM core_migrations ORDER BY 1');
    expect(versions.rows.map((r) => r.version)).toEqual([1, 2]);
    const seeded = await db.query<{ state: string; expires_at: Date | null }>(
      'SELECT state, expires_at FROM payments WHERE payment_id = $1',
      [kept],
    );
    expect(seeded.rows).toEqual([{ state: 'approved', expires_at: null }]);

    // A pending order, with its expiry; never without one.
    const order = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + 120_000);
    await insertPayment(db, {
      terminalId: 'sp-0000000000000001',
      paymentId: order,
      seq: 2,
      state: 'pending',
      expiresAt,
    });
    await expect(
      insertPayment(db, { terminalId: 'sp-0000000000000001', seq: 3, state: 'pending' }),
    ).rejects.toThrow(/payments_pending_expires/);
    await expect(
      insertPayment(db, { terminalId: 'sp-0000000000000001', seq: 3, state: 'lost' }),
    ).rejects.toThrow(/payments_state_check/);

    // The QR names the paymentId alone: one order under it across terminals. Other payments stay
    // unique per terminal only.
    await expect(
      insertPayment(db, {
        terminalId: 'sp-0000000000000002',
        paymentId: order,
        seq: 1,
        state: 'pending',
        expiresAt,
      }),
    ).rejects.toThrow(/payments_order_id/);
    await insertPayment(db, {
      terminalId: 'sp-0000000000000002',
      paymentId: kept,
      seq: 1,
      state: 'declined',
    });

    await db.query(
      `INSERT INTO ledger_entries (account, amount_minor, currency, kind)
     VALUES ('merchant:x', -1250, 'CNY', 'refund'), ('wallet:y', 1250, 'CNY', 'refund')`,
    );
    await expect(
      db.query(
        "INSERT INTO ledger_entries (account, amount_minor, currency, kind) VALUES ('a', 0, 'CNY', 'gift')",
      ),
    ).rejects.toThrow(/ledger_entries_kind_check/);

    // Migrating again applies nothing.
    expect(await migrateCore(db, { to: 2 })).toBe(2);
  });

  it('finds an order by its paymentId alone through the order index', async () => {
    const db = await openDb({ migrateTo: null });
    await migrateCore(db);
    await db.query("INSERT INTO merchants (merchant_id, name) VALUES ($1, 'Shop')", [MERCHANT]);
    await seedTerminal(db, 'sp-0000000000000001');
    for (let seq = 1; seq <= 50; seq++) {
      await insertPayment(db, {
        terminalId: 'sp-0000000000000001',
        seq,
        state: seq % 2 ? 'approved' : 'pending',
        ...(seq % 2 ? {} : { expiresAt: new Date() }),
      });
    }
    const plan = await db.transaction(async (tx) => {
      // A table this small is read whole if allowed: forbid that, so the plan shows which index
      // the query can use (without a usable one it would still scan).
      await tx.query('SET LOCAL enable_seqscan = off');
      const r = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${LOCK_ORDER_SQL.replace('$1', `'${crypto.randomUUID()}'::uuid`)}`,
      );
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('payments_order_id');
  });
});
