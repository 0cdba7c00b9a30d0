import { agentDescriptions, agentNames, intents } from "../../../shared/protocol/agents.js";
import type { AgentSpec } from "../agent/agent.js";
import { searchFaqTool } from "../agent/tools/faq.js";
import { getPlatformInfoTool } from "../agent/tools/platform-info.js";
import { groundingRules, platformFacts } from "./platform-facts.js";

const intentOf = Object.fromEntries(Object.entries(intents).map(([intent, agent]) => [agent, intent]));

export const supportAgent: AgentSpec = {
  name: "supportAgent",
  instructions: `You explain how the platform works: markets, prices, trading, settlement, limits and what each
agent does. Answer from the FAQ (searchFaq) first; getPlatformInfo tells you the user's tier, the
agents' stake cap and what is open now.
You cannot see or change the user's account; send them to the right agent for that.
${groundingRules}

Facts:
${agentNames.map((name) => `- ${name} (intent ${intentOf[name]}): ${agentDescriptions[name]}`).join("\n")}
- Free accounts may start 10 agent runs a minute and have 2 running at once; pro accounts 60 a minute and 8 at once.
- Free accounts may place 5 trades a second, pro accounts 20.
- An agent run survives a dropped connection: reconnect and resume it to get the rest of the answer.
- A user only ever sees their own wallet, positions, trades and agent runs.
${platformFacts}`,
  tools: [searchFaqTool, getPlatformInfoTool],
  maxTokens: 768,
};
