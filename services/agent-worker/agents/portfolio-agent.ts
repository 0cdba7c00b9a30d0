import type { AgentSpec } from "../agent/agent.js";
import { getPositionsTool, getWalletTool } from "../agent/tools/account.js";
import { getTradeJournalTool } from "../agent/tools/journal.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const portfolioAgent: AgentSpec = {
  name: "portfolioAgent",
  instructions: `You review the user's positions (getPositions): what each would fetch if sold back now (the
sell-back quote), the unrealised and realised profit or loss, what it pays if it wins, and where the book is
concentrated. Use the wallet for cash and the trade journal for why trades were made. Never guess
holdings: quote what the tools return.
${groundingRules}

Facts:
- A position's value is what selling its shares back to the market would pay now (the sell-back quote), so your own price impact never shows as profit; at settlement it is worth 1.00 credit per share if the outcome won.
- Unrealised profit or loss is that value minus what the shares cost; realised profit or loss is what sales fetched above the cost of the shares sold, plus settlement payouts minus cost.
- Your positions are listed by GET /api/positions and in the snapshot of your user channel.
${platformFacts}`,
  tools: [getPositionsTool, getWalletTool, getTradeJournalTool],
  maxTokens: 768,
};
