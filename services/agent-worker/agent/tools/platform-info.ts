import { Type as T } from "@sinclair/typebox";
import { agentDescriptions, agentNames, intents } from "../../../../shared/protocol/agents.js";
import { createTool } from "../tool.js";

const intentOf = Object.fromEntries(Object.entries(intents).map(([intent, agent]) => [agent, intent]));

export const getPlatformInfoTool = createTool({
  name: "getPlatformInfo",
  description:
    "The platform as it is now for this user: their tier, the per-run stake cap agents trade under, " +
    "how many markets are open and on how many fixtures, and every agent with its intent.",
  input: T.Object({}, { additionalProperties: false }),
  async run(_input, ctx) {
    const open = await ctx.services.exchange.listMarkets({ status: "open" });
    return {
      tier: ctx.tier,
      agentStakeCapCredits: ctx.services.limits.agentStakeCapCredits,
      openMarkets: open.length,
      openFixtures: new Set(open.map((m) => m.matchId)).size,
      agents: agentNames.map((name) => ({
        name,
        intent: intentOf[name],
        description: agentDescriptions[name],
      })),
    };
  },
});
