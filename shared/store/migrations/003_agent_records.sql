-- What agents keep for a user beside the money: the trade journal (why a trade was made) and
-- price and score alerts. Neither moves money, so neither touches the ledger.

-- One entry per trade and user: recording the same trade again (a redelivered agent run) keeps
-- the first rationale.
CREATE TABLE trade_journal (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  trade_id text NOT NULL,
  market_id text NOT NULL,
  outcome text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  shares int8 NOT NULL CHECK (shares > 0),
  cost_cents int8 NOT NULL CHECK (cost_cents >= 0),
  rationale text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, trade_id)
);

CREATE INDEX trade_journal_user ON trade_journal (user_id, id);

-- A price alert fires once, when its outcome's price is at or beyond `level_bp` (ten-thousandths)
-- in `direction`; a score alert fires on each goal, half time and full time of its match, and
-- is done at full time. `fired_at` marks an alert that will not fire again.
CREATE TABLE alerts (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('price', 'score')),
  market_id text,
  outcome text,
  direction text CHECK (direction IN ('above', 'below')),
  level_bp int4 CHECK (level_bp > 0 AND level_bp < 10000),
  match_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  fired_at timestamptz,
  CONSTRAINT alert_shape CHECK (
    (kind = 'price' AND market_id IS NOT NULL AND outcome IS NOT NULL AND direction IS NOT NULL
      AND level_bp IS NOT NULL)
    OR (kind = 'score' AND match_id IS NOT NULL)
  )
);

CREATE INDEX alerts_user ON alerts (user_id, id);
CREATE INDEX alerts_price ON alerts (market_id) WHERE kind = 'price' AND fired_at IS NULL;
CREATE INDEX alerts_score ON alerts (match_id) WHERE kind = 'score' AND fired_at IS NULL;

-- A trade an agent run decided on, keyed by the run's idempotency key for the call, stored before
-- the trade is sent: a redelivered run finds its first decision here and sends exactly that trade
-- again (which the exchange answers from its idempotency record) instead of deciding anew on
-- prices its own first trade moved.
CREATE TABLE agent_trade_intents (
  user_id text NOT NULL,
  key text NOT NULL,
  market_id text NOT NULL,
  outcome text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  shares int8 NOT NULL CHECK (shares > 0),
  max_cost_cents int8,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
