/** Most of the cash balance one trade may stake. */
export const maxBalanceShare = 0.25;

export interface RiskCheck {
  rule: "stake_cap" | "balance_share" | "market_open";
  ok: boolean;
  detail: string;
}

export interface RiskReport {
  withinLimits: boolean;
  /** Credits the trade commits (a buy's cost; 0 for a sell, which only releases risk). */
  stake: number;
  /** The most the trade can lose: a buy's cost, since a losing share settles at zero. */
  maxLoss: number;
  checks: RiskCheck[];
}

/**
 * The risk manager's rules for one trade, shared by `placeTrade` (which refuses a trade that
 * breaks any) and by the risk manager agent's check: the run's stakes including this one stay
 * within the per-run cap, the stake is at most a quarter of the cash balance, and the market is
 * open. Sells pass the money rules: they reduce exposure.
 */
export function checkTradeRisk(input: {
  side: "buy" | "sell";
  cost: number;
  balance: number;
  marketId: string;
  marketStatus: string;
  capCredits: number;
  stakedThisRun: number;
}): RiskReport {
  const stake = input.side === "buy" ? input.cost : 0;
  const runTotal = round2(input.stakedThisRun + stake);
  const balanceLimit = round2(input.balance * maxBalanceShare);
  const checks: RiskCheck[] = [
    {
      rule: "stake_cap",
      ok: runTotal <= input.capCredits,
      detail:
        input.stakedThisRun > 0
          ? `${credits(stake)} more makes ${credits(runTotal)} staked in this run; the per-run cap is ${credits(input.capCredits)}`
          : `stake ${credits(stake)} against a per-run cap of ${credits(input.capCredits)}`,
    },
    {
      rule: "balance_share",
      ok: stake <= balanceLimit,
      detail: `stake ${credits(stake)} against ${Math.round(maxBalanceShare * 100)}% of your ${credits(input.balance)} balance (${credits(balanceLimit)})`,
    },
    {
      rule: "market_open",
      ok: input.marketStatus === "open",
      detail: `market ${input.marketId} is ${input.marketStatus}`,
    },
  ];
  return { withinLimits: checks.every((c) => c.ok), stake, maxLoss: stake, checks };
}

export function credits(n: number): string {
  return `${n.toFixed(2)} credits`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
