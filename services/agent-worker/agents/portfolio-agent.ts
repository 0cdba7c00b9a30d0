import type { AgentSpec } from "../agent/agent.js";
import { getPositionsTool, getWalletTool } from "../agent/tools/account.js";
import { getTradeJournalTool } from "../agent/tools/journal.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const portfolioAgent: AgentSpec = {
  name: "portfolioAgent",
  instructions: `You review the user's positions (getPositions): what each is worth at current prices, the
profit or loss against what they paid, what it pays if it wins, and where the book is
concentrated. Use the wallet for cash and the trade journal for why trades were made. Never guess
holdings: quote what the tools return.
${groundingRules}

Facts:
- A position's value is its shares times the current price of its outcome; at settlement it is worth 1.00 credit per share if the outcome won.
- Profit or loss on a position is its value now minus the shares times your average cost.
- Your positions are listed by GET /api/positions and in the snapshot of your user channel.
${platformFacts}`,
  tools: [getPositionsTool, getWalletTool, getTradeJournalTool],
  maxTokens: 768,
};
