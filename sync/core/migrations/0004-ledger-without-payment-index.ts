/**
 * The ledger loses its index by payment (ledger_by_payment, on terminal_id and payment_id).
 *
 * No statement of the core reads the ledger by payment: it appends rows, and the books check sums
 * them by account over the whole table. The index only cost a B-tree insert for every ledger row,
 * two per payment settled: for a sync batch of 1,000 payments, about 3 ms of the 19 ms its write
 * took in PostgreSQL (measured on a batch alone, with and without the index). An operator who
 * needs a payment's ledger rows often can create an index for it; the core neither needs nor
 * minds one.
 */
export const migration = {
  version: 4,
  name: 'ledger-without-payment-index',
  sql: `DROP INDEX IF EXISTS ledger_by_payment;`,
};
