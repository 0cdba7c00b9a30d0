/**
 * Who trades what: each user has one slot per market set (a market and an outcome) and
 * alternates buying and selling one share of it, so cash and holdings stay level however long
 * the benchmark runs. Before measuring, every user buys `inventory` shares of its slot
 * (`inventoryTrades`): a sell that overtakes its buy (two exchange processes, two gateways)
 * still finds shares to sell.
 */
export interface MarketRef {
  id: string;
  outcomes: readonly string[];
}

export interface TradeSpec {
  /** Index of the user in the benchmark's user list. */
  user: number;
  marketId: string;
  outcome: string;
  side: "buy" | "sell";
  shares: number;
  /** Index of the market in its set: the baseline updates this row, so it contends alike. */
  row: number;
}

/** The slot of user `user` in `markets`: users spread evenly over markets, then over outcomes. */
export function slotOf(
  user: number,
  markets: readonly MarketRef[],
): { row: number; market: MarketRef; outcome: string } {
  const row = user % markets.length;
  const market = markets[row]!;
  return {
    row,
    market,
    outcome: market.outcomes[Math.floor(user / markets.length) % market.outcomes.length]!,
  };
}

/**
 * Arrival `i` of a phase with `users` users: user `i % users`, whose successive arrivals buy,
 * sell, buy, … one share. With `users` a multiple of the client count every user's arrivals go
 * through one client process (`runOpenLoop` shares arrivals by `i % of`), so one socket each.
 */
export function tradeSpec(arrival: number, users: number, markets: readonly MarketRef[]): TradeSpec {
  const user = arrival % users;
  const { row, market, outcome } = slotOf(user, markets);
  const side = Math.floor(arrival / users) % 2 === 0 ? "buy" : "sell";
  return { user, marketId: market.id, outcome, side, shares: 1, row };
}

/** The trades that give every user `inventory` shares of its slot in `markets`. */
export function inventoryTrades(
  users: number,
  markets: readonly MarketRef[],
  inventory: number,
): { user: number; marketId: string; outcome: string; shares: number }[] {
  return Array.from({ length: users }, (_, user) => {
    const { market, outcome } = slotOf(user, markets);
    return { user, marketId: market.id, outcome, shares: inventory };
  });
}
