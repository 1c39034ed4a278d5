/**
 * The reference core's schema. PostgreSQL and PGlite run the same SQL. Exactly-once lives here:
 * payments are unique on (terminal_id, payment_id) and on (terminal_id, seq); a wallet code is used
 * by at most one payment (unique payments.wallet_code: the payment that used it, approved or not);
 * a nonce is accepted once per terminal.
 */
export const migration = {
  version: 1,
  name: 'core',
  sql: `
    CREATE TABLE merchants (
      merchant_id uuid PRIMARY KEY,
      name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    -- Only a hash of each activation code is kept: the code itself is a one-time secret.
    CREATE TABLE activation_codes (
      code_hash   bytea PRIMARY KEY,
      merchant_id uuid NOT NULL REFERENCES merchants,
      created_at  timestamptz NOT NULL DEFAULT now(),
      expires_at  timestamptz NOT NULL,
      used_at     timestamptz,
      used_by     text
    );

    CREATE TABLE terminals (
      terminal_id            text PRIMARY KEY,
      merchant_id            uuid NOT NULL REFERENCES merchants,
      public_key             bytea NOT NULL UNIQUE,
      status                 text NOT NULL CHECK (status IN ('active', 'revoked')),
      software_version       text,
      activated_at           timestamptz NOT NULL,
      revoked_at             timestamptz,
      last_seen_at           timestamptz,
      queue_depth            integer NOT NULL DEFAULT 0,
      clock_offset_ms        bigint NOT NULL DEFAULT 0,
      highest_contiguous_seq bigint NOT NULL DEFAULT 0,
      integrity_alert        text
    );

    -- Every journal head a terminal anchored: a later sync must agree with them (a cut or rewritten
    -- journal can't), and a late duplicate of an old upload is recognised by them.
    CREATE TABLE terminal_anchors (
      terminal_id text NOT NULL REFERENCES terminals,
      entry_seq   bigint NOT NULL,
      hash        bytea NOT NULL,
      signature   bytea NOT NULL,
      anchored_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (terminal_id, entry_seq)
    );

    CREATE TABLE request_nonces (
      terminal_id text NOT NULL,
      nonce       text NOT NULL,
      seen_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (terminal_id, nonce)
    );
    CREATE INDEX request_nonces_by_age ON request_nonces (seen_at);

    CREATE TABLE wallets (
      wallet_id     uuid PRIMARY KEY,
      secret        bytea NOT NULL,
      currency      text NOT NULL,
      balance_minor bigint NOT NULL CHECK (balance_minor >= 0),
      codes_issued  bigint NOT NULL DEFAULT 0,
      created_at    timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE wallet_codes (
      code      text PRIMARY KEY,
      wallet_id uuid NOT NULL REFERENCES wallets,
      issued_at timestamptz NOT NULL
    );

    CREATE TABLE payments (
      terminal_id  text NOT NULL REFERENCES terminals,
      payment_id   uuid NOT NULL,
      seq          bigint NOT NULL CHECK (seq > 0),
      merchant_id  uuid NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      currency     text NOT NULL,
      scheme       text NOT NULL,
      code_hash    bytea NOT NULL,
      captured_at  timestamptz NOT NULL,
      mode         text NOT NULL CHECK (mode IN ('online', 'offline')),
      state        text NOT NULL CHECK (state IN
                     ('approved', 'declined', 'settled', 'declined_after_sync', 'cancelled', 'voided', 'refunded')),
      reason       text,
      wallet_id    uuid,
      -- The demo wallet code this payment used up (NULL: none, or already used by another).
      wallet_code  text UNIQUE,
      received_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (terminal_id, payment_id),
      UNIQUE (terminal_id, seq)
    );

    -- Double entry: every movement is a set of rows summing to zero (funding: funding -> wallet;
    -- payment: wallet -> merchant; reversal: merchant -> wallet).
    CREATE TABLE ledger_entries (
      entry_id     bigserial PRIMARY KEY,
      terminal_id  text,
      payment_id   uuid,
      account      text NOT NULL,
      amount_minor bigint NOT NULL,
      currency     text NOT NULL,
      kind         text NOT NULL CHECK (kind IN ('funding', 'payment', 'reversal')),
      created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ledger_by_payment ON ledger_entries (terminal_id, payment_id);
  `,
};
