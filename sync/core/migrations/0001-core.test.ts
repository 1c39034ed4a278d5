/**
 * Migration 0001 on a real database of each backend (a new PostgreSQL database, a PGlite folder):
 * the keys that make exactly-once hold whatever the service code does, checked on the schema itself.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { CoreDb } from '../db.ts';
import { describeOnBackends } from './testing.ts';

const MERCHANT = crypto.randomUUID();
const T1 = 'sp-0000000000000001';
const T2 = 'sp-0000000000000002';

/** A payment row as the core writes one (version 1 columns). */
function insertPayment(
  db: CoreDb,
  p: { terminalId: string; paymentId?: string; seq: number; walletCode?: string; onConflict?: boolean },
) {
  return db.query(
    `INSERT INTO payments (terminal_id, payment_id, seq, merchant_id, amount_minor, currency, scheme, code_hash,
                           captured_at, mode, state, wallet_code)
     VALUES ($1, $2, $3, $4, 1250, 'CNY', 'alipay', $5, now(), 'offline', 'settled', $6)
     ${p.onConflict ? 'ON CONFLICT DO NOTHING' : ''}`,
    [
      p.terminalId,
      p.paymentId ?? crypto.randomUUID(),
      p.seq,
      MERCHANT,
      crypto.randomBytes(32),
      p.walletCode ?? null,
    ],
  );
}

await describeOnBackends('core migration 0001', (openDb) => {
  it('payments are unique per terminal on paymentId and on seq; a wallet code is used once; no wallet below zero', async () => {
    const db = await openDb({ migrateTo: 1 });
    await db.query("INSERT INTO merchants (merchant_id, name) VALUES ($1, 'Shop')", [MERCHANT]);
    for (const id of [T1, T2]) {
      await db.query(
        `INSERT INTO terminals (terminal_id, merchant_id, public_key, status, activated_at)
       VALUES ($1, $2, $3, 'active', now())`,
        [id, MERCHANT, crypto.randomBytes(44)],
      );
    }
    const paymentId = crypto.randomUUID();
    await insertPayment(db, { terminalId: T1, paymentId, seq: 1, walletCode: '280000000000000001' });

    // The same paymentId again at that terminal (another seq), and another payment at its seq.
    await expect(insertPayment(db, { terminalId: T1, paymentId, seq: 2 })).rejects.toThrow(/payments_pkey/);
    await expect(insertPayment(db, { terminalId: T1, seq: 1 })).rejects.toThrow(
      /payments_terminal_id_seq_key/,
    );
    // What the core's writes rely on: a duplicate is skipped, not written twice.
    expect((await insertPayment(db, { terminalId: T1, paymentId, seq: 2, onConflict: true })).rowCount).toBe(
      0,
    );
    expect((await insertPayment(db, { terminalId: T1, seq: 1, onConflict: true })).rowCount).toBe(0);
    // Both keys are per terminal: another terminal may use the same paymentId and seq.
    await insertPayment(db, { terminalId: T2, paymentId, seq: 1 });
    // A wallet code pays once, whichever terminal presents it.
    await expect(
      insertPayment(db, { terminalId: T2, seq: 2, walletCode: '280000000000000001' }),
    ).rejects.toThrow(/payments_wallet_code_key/);
    await expect(insertPayment(db, { terminalId: T1, seq: 0 })).rejects.toThrow(/payments_seq_check/);
    const held = await db.query<{ terminal_id: string; seq: number }>(
      'SELECT terminal_id, seq FROM payments ORDER BY terminal_id, seq',
    );
    expect(held.rows).toEqual([
      { terminal_id: T1, seq: 1 },
      { terminal_id: T2, seq: 1 },
    ]);

    const walletId = crypto.randomUUID();
    await db.query(
      "INSERT INTO wallets (wallet_id, secret, currency, balance_minor) VALUES ($1, $2, 'CNY', 100)",
      [walletId, crypto.randomBytes(32)],
    );
    await expect(
      db.query('UPDATE wallets SET balance_minor = balance_minor - 101 WHERE wallet_id = $1', [walletId]),
    ).rejects.toThrow(/wallets_balance_minor_check/);

    // A nonce is taken once per terminal.
    await db.query("INSERT INTO request_nonces (terminal_id, nonce) VALUES ($1, 'n-1')", [T1]);
    await expect(
      db.query("INSERT INTO request_nonces (terminal_id, nonce) VALUES ($1, 'n-1')", [T1]),
    ).rejects.toThrow(/request_nonces_pkey/);
  });
});
