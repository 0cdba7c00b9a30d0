-- Markets with their LMSR state, trades, positions, price history and idempotency keys.
-- Shares are integer hundredths of a share (a hundredth pays one cent when it wins).

CREATE TABLE markets (
  id text PRIMARY KEY,
  match_id text NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  outcomes jsonb NOT NULL,
  -- LMSR liquidity b (shares) and opening quantities q0_i = b·ln p0_i: parameters, not money.
  liquidity float8 NOT NULL CHECK (liquidity > 0),
  initial_quantities jsonb NOT NULL,
  -- Net hundredths sold of each outcome, in the order of `outcomes`.
  sold jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'suspended', 'closed', 'settled')),
  winner text,
  escrow_account_id text NOT NULL UNIQUE REFERENCES accounts (id),
  subsidy_cents int8 NOT NULL,
  closes_at timestamptz,
  opened_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz
);

CREATE INDEX markets_match ON markets (match_id);

CREATE TABLE trades (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id),
  market_id text NOT NULL REFERENCES markets (id),
  outcome text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  shares int8 NOT NULL CHECK (shares > 0),
  cost_cents int8 NOT NULL CHECK (cost_cents >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX trades_user ON trades (user_id, id);
CREATE INDEX trades_market ON trades (market_id, id);

CREATE TABLE positions (
  user_id text NOT NULL REFERENCES users (id),
  market_id text NOT NULL REFERENCES markets (id),
  outcome text NOT NULL,
  shares int8 NOT NULL CHECK (shares >= 0),
  -- What the shares held cost, in cents (reduced pro rata on sells).
  cost_cents int8 NOT NULL CHECK (cost_cents >= 0),
  PRIMARY KEY (user_id, market_id, outcome)
);

CREATE INDEX positions_market ON positions (market_id);

CREATE TABLE price_history (
  id bigserial PRIMARY KEY,
  market_id text NOT NULL REFERENCES markets (id),
  prices jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX price_history_market ON price_history (market_id, id);

-- A trade's idempotency key, unique per user; `response` is the first answer, returned again
-- to every retry. `request` guards against a key reused for a different trade.
CREATE TABLE idempotency_keys (
  user_id text NOT NULL REFERENCES users (id),
  key text NOT NULL,
  request jsonb NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

-- Settlement is idempotent on the market: one row per settled market.
CREATE TABLE settlements (
  market_id text PRIMARY KEY REFERENCES markets (id),
  winner text NOT NULL,
  paid_cents int8 NOT NULL,
  settled_at timestamptz NOT NULL DEFAULT now()
);
