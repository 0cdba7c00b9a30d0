import { type MarketRow, marketColumns, marketFrom, toMarket } from "./market-rows.js";
import type { HoldingRecord } from "./store.js";

/**
 * Every position row of user $1 (settled markets and sold-out holdings included: a position row
 * exists only once its outcome was traded) with its market and the totals of its trades. Read
 * from the primary, like positions: a user reads their own trades at once.
 */
export const holdingsQuery = `WITH traded AS (
    SELECT market_id, outcome,
      coalesce(sum(cost_cents) FILTER (WHERE side = 'buy'), 0)::int8 AS bought,
      coalesce(sum(cost_cents) FILTER (WHERE side = 'sell'), 0)::int8 AS sold_for
    FROM trades WHERE user_id = $1 GROUP BY market_id, outcome)
  SELECT p.outcome AS p_outcome, p.shares AS p_shares, p.cost_cents AS p_cost,
    t.bought AS t_bought, t.sold_for AS t_sold_for, ${marketColumns}
  FROM positions p
    JOIN traded t ON t.market_id = p.market_id AND t.outcome = p.outcome
    JOIN ${marketFrom} ON m.id = p.market_id
  WHERE p.user_id = $1
  ORDER BY p.market_id, p.outcome`;

export function toHolding(
  row: MarketRow & {
    p_outcome: string;
    p_shares: unknown;
    p_cost: unknown;
    t_bought: unknown;
    t_sold_for: unknown;
  },
): HoldingRecord {
  return {
    marketId: row.id,
    outcome: row.p_outcome,
    hundredths: Number(row.p_shares),
    costCents: Number(row.p_cost),
    boughtCents: Number(row.t_bought),
    soldCents: Number(row.t_sold_for),
    market: toMarket(row),
  };
}
