-- A trade's writes are one statement sent together with its COMMIT (trade/trade-statement.ts), so a
-- check that fails after the writes must abort the statement, not report: this raises with the
-- SQLSTATE the trade maps to its protocol error (XT001 insufficient funds, XT002 shares not held,
-- XT003 escrow short of the payouts), and everything the statement wrote is rolled back.
CREATE FUNCTION refuse_trade(state text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'trade refused (%)', state USING ERRCODE = state;
END
$$;
