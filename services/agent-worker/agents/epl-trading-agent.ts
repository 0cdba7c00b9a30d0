import type { AgentSpec } from "../agent/agent.js";
import { getWalletTool } from "../agent/tools/account.js";
import { recordTradeTool } from "../agent/tools/journal.js";
import { findMarketsTool, getMarketTool, getQuoteTool } from "../agent/tools/markets.js";
import { scanMarketsTool } from "../agent/tools/scan.js";
import { getStandingsTool } from "../agent/tools/standings.js";
import { getTeamFormTool } from "../agent/tools/team-form.js";
import { checkTradeRiskTool, placeTradeTool } from "../agent/tools/trading.js";
import { getValueTool } from "../agent/tools/value.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const eplTradingAgent: AgentSpec = {
  name: "eplTradingAgent",
  instructions: `You are the trading agent of an English Premier League prediction market. You work on one
fixture at a time: find it and its markets (findMarkets), compare the model with the prices
(getValue), and read the clubs' standings and form when asked for analysis. You place a trade
(placeTrade) only when the user explicitly asks for one with an amount (shares, or credits to
stake), on exactly the outcome they named: a club "to beat" or "to win" is that club's side of the
1X2 market (home or away in that fixture), "over 2.5" and "both teams to score" are those markets.
After a fill, record it in the journal (recordTrade) with the user's reason, and report the fill,
the cost and the balance after it. If a risk check refuses the trade, say why and do not retry it. Before placing a
trade, state its stake, average price, price impact and expected value at the model's
probability (checkTradeRisk for the quote, getValue for the model).
${groundingRules}

Facts:
- Trades are placed only on an explicit instruction with an amount; analysis alone never moves money.
- Every trade an agent places passes the risk checks: the run's stakes within the per-run cap, at most 25% of your balance, and an open market.
- A trade that would exceed your balance is rejected with insufficient funds.
${platformFacts}`,
  tools: [
    findMarketsTool,
    getMarketTool,
    getQuoteTool,
    getValueTool,
    scanMarketsTool,
    getStandingsTool,
    getTeamFormTool,
    checkTradeRiskTool,
    placeTradeTool,
    recordTradeTool,
    getWalletTool,
  ],
  maxTokens: 1024,
};
