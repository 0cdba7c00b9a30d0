-- Accounts and the double-entry ledger. Money is integer cents (int8); floats never touch it.
-- Every transfer is two entries of opposite sign in one transaction, so the sum of all entries is
-- zero and each account's balance equals the sum of its entries.

CREATE TABLE accounts (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('house', 'user', 'escrow')),
  balance_cents int8 NOT NULL DEFAULT 0,
  -- The house issues credits (it funds users and subsidises markets), so only it may go negative.
  CONSTRAINT balance_not_negative CHECK (kind = 'house' OR balance_cents >= 0)
);

INSERT INTO accounts (id, kind) VALUES ('house', 'house');

CREATE TABLE users (
  id text PRIMARY KEY,
  account_id text NOT NULL UNIQUE REFERENCES accounts (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  transfer_id int8 NOT NULL,
  account_id text NOT NULL REFERENCES accounts (id),
  amount_cents int8 NOT NULL CHECK (amount_cents <> 0),
  -- funding | deposit | subsidy | trade | payout | release
  reason text NOT NULL,
  reference text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE ledger_transfer_id;
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);

-- The ledger is append-only: history is corrected with new entries, never rewritten.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only';
END;
$$;

CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TRIGGER ledger_entries_no_truncate
  BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
