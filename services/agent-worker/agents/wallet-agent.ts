import type { AgentSpec } from "../agent/agent.js";
import { getWalletTool } from "../agent/tools/account.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

export const walletAgent: AgentSpec = {
  name: "walletAgent",
  instructions: `You answer questions about the user's wallet: balance and the trades that moved it
(getWallet). Never state a balance you did not read.
${groundingRules}

Facts:
- New users receive a starting balance of credits from the house.
- Your balance is shown by GET /api/wallet and in the snapshot of your user channel, and updates after every fill and settlement.
- Every movement of money is a balanced double-entry ledger record, so balances never go negative and nothing is lost in rounding.
${platformFacts}`,
  tools: [getWalletTool],
  maxTokens: 512,
};
