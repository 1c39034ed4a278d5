/**
 * Merchant-presented QR orders and refunds through the core.
 *
 * - An order is a payment row in state `pending` until a wallet pays it. Its expiry is a column of
 *   that row, not a table of its own: paying an order locks the row anyway, and reads the expiry
 *   under that lock; every payment that is not an order leaves it NULL. A pending payment must
 *   have one.
 * - The QR carries only the paymentId, so an order's paymentId is unique across terminals (a
 *   partial index: other payments stay unique per terminal only). Paying an order finds it by
 *   this index.
 * - A refund is its own ledger kind (merchant → wallet, as a reversal), so the books tell a
 *   same-day cancel from a refund.
 *
 * Constraint names are PostgreSQL's defaults for the column checks of 0001.
 */
export const migration = {
  version: 2,
  name: 'orders-and-refunds',
  sql: `
    ALTER TABLE payments ADD COLUMN expires_at timestamptz;
    ALTER TABLE payments DROP CONSTRAINT payments_state_check;
    ALTER TABLE payments ADD CONSTRAINT payments_state_check CHECK (state IN
      ('pending', 'approved', 'declined', 'settled', 'declined_after_sync', 'cancelled', 'voided', 'refunded'));
    ALTER TABLE payments ADD CONSTRAINT payments_pending_expires CHECK (state <> 'pending' OR expires_at IS NOT NULL);
    CREATE UNIQUE INDEX payments_order_id ON payments (payment_id) WHERE expires_at IS NOT NULL;

    ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
    ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
      CHECK (kind IN ('funding', 'payment', 'reversal', 'refund'));
  `,
};
