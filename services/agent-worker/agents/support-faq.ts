import { configSchema } from "../../../shared/config.js";
import { maxBalanceShare } from "../platform/trade-risk.js";

export interface FaqEntry {
  question: string;
  answer: string;
  /** Words people use for this topic beyond those of the question. */
  keywords: string;
}

const d = Object.fromEntries(
  Object.entries(configSchema.properties).map(([key, schema]) => [
    key,
    (schema as { default?: unknown }).default,
  ]),
) as { [K in keyof typeof configSchema.properties]: (typeof configSchema.properties)[K]["default"] };

/**
 * The platform's questions and answers, from docs/protocol.md and the README's configuration
 * table. Figures are the configuration's defaults, read from its schema so they cannot drift.
 */
export const supportFaq: readonly FaqEntry[] = [
  {
    question: "What do the free and pro tiers get?",
    answer: `Free accounts may start ${d.agentRunsPerMinuteFree} agent runs a minute with ${d.agentConcurrentFree} running at once and place ${d.tradesPerSecondFree} trades a second; pro accounts get ${d.agentRunsPerMinutePro} runs a minute, ${d.agentConcurrentPro} at once and ${d.tradesPerSecondPro} trades a second. Under overload, free-tier runs are refused first and pro runs are served first.`,
    keywords: "tier tiers free pro plan limits rate upgrade difference runs minute concurrent",
  },
  {
    question: "What happens when I hit a rate limit?",
    answer:
      "Over a limit the WebSocket answers with the error rate_limited and retryAfterMs, and HTTP with status 429 and a Retry-After header: wait that long and try again. Limits hold across every gateway.",
    keywords: "rate limited limit 429 retry throttled too many blocked slow down",
  },
  {
    question: "Are there fees or commission?",
    answer: `There is no fee and no commission: a trade costs exactly the market maker's quote. What you pay above the current price is your own trade's price impact, since buying pushes the price up; it is smaller on deeper markets (liquidity ${d.liquidityMatchResult} shares on match result markets, ${d.liquidityOverUnder} on over/under and ${d.liquidityBtts} on both teams to score).`,
    keywords: "fees fee commission charge spread margin vig rake",
  },
  {
    question: "How and when are markets settled?",
    answer:
      "At full time each market settles on the real result: every winning share pays 1.00 credit and every losing share pays nothing. Settlement is final and settled markets close.",
    keywords: "settle settlement settled payout pay paid full time result win winning shares close final",
  },
  {
    question: "How much do I start with?",
    answer: `A new user receives a starting balance of ${d.startingBalance.toFixed(2)} credits from the house. Money is in credits with at most two decimals.`,
    keywords: "start starting balance credits new account deposit money free credits",
  },
  {
    question: "What do prices mean?",
    answer:
      "Prices are probabilities between 0 and 1: a price of 0.62 means the market gives that outcome a 62% chance, a share costs about 0.62 credits and pays 1.00 credit if it wins. Decimal odds are 1 divided by the price.",
    keywords: "price prices probability odds mean percent chance share cost",
  },
  {
    question: "Which markets can I trade?",
    answer:
      "Each Premier League fixture has three markets: the match result (home, draw, away), over/under 2.5 goals and both teams to score. They are priced by an automated market maker (LMSR), so every trade fills at a quoted cost.",
    keywords: "markets market kinds types 1x2 over under btts both teams score trade what bet",
  },
  {
    question: "Can I sell before the match ends?",
    answer:
      "Yes: sell shares back to the market maker at any time while the market is open, at the sell quote (what selling your shares raises now). minProceeds on a sell rejects it if the price moved below what you accept.",
    keywords: "sell sale cash out exit close position before end early sell back full time kick-off",
  },
  {
    question: "How do I protect myself from slippage?",
    answer:
      "Give maxCost on a buy and minProceeds on a sell: the trade is rejected with price_moved if the price moved past them before it filled.",
    keywords: "slippage maxcost minproceeds price moved rejected protect limit",
  },
  {
    question: "What limits do agents trade under?",
    answer: `Agents trade only on your explicit instruction with an amount, and every agent trade passes the risk checks: the run's stakes within the per-run cap of ${d.agentStakeCapCredits.toFixed(2)} credits, one trade at most ${maxBalanceShare * 100}% of your cash balance, and an open market. Agents never act for another user.`,
    keywords: "agent agents trade cap stake risk checks rules limit automatic",
  },
  {
    question: "Why is a market suspended?",
    answer: `After a goal a match's markets are suspended for about ${d.feedGoalSuspendMs / 1000} seconds while they reprice; trades in that moment are rejected with market_closed, and the market reopens at the new prices.`,
    keywords: "suspended suspend paused frozen goal closed market_closed reprice",
  },
  {
    question: "What if my connection drops during an agent run?",
    answer: `An agent run survives a dropped connection: reconnect to any gateway and send agent.resume with the run's requestId to get the rest of the answer. Streamed output is kept for ${d.agentOutMaxAgeMs / 60_000} minutes.`,
    keywords: "connection drop dropped disconnect reconnect resume lost run answer wifi",
  },
  {
    question: "Can I place the same trade twice by accident?",
    answer:
      "Not if you send an idempotencyKey (or the Idempotency-Key header): a repeat with the same key returns the first fill instead of trading again.",
    keywords: "twice duplicate double repeat idempotency idempotencykey retry same trade",
  },
  {
    question: "Who can see my account?",
    answer:
      "Only you: a user only ever sees their own wallet, positions, trades, agent runs and user channel. No agent reads or trades another user's account.",
    keywords: "privacy private see account other users someone else security",
  },
  {
    question: "How many connections can I open?",
    answer: `Up to ${d.maxSocketsPerUser} open WebSockets per user on one gateway; one more is refused with HTTP 429 too_many_sockets: close one of your sockets first.`,
    keywords: "sockets websocket connections devices tabs too_many_sockets open",
  },
  {
    question: "How long does my login last?",
    answer: `A token lives at most ${d.tokenMaxTtlS / 3600} hours; refresh it before it expires with an auth frame, or the socket closes with 4001.`,
    keywords: "token login session expire expiry jwt auth refresh logged out 4001",
  },
];
