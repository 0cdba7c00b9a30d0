import { cr } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";

const platformWords =
  /\b(limits?|agents?|tier|cap|how many|open markets?|markets open|which|what can|pro|free|plan)\b/;

export const getPlatformInfoSkill: OfflineSkill = {
  tool: "getPlatformInfo",
  topic: "your tier, limits and the agents",
  plan(q) {
    return platformWords.test(q.lower) ? [{}] : [];
  },
  write(findings) {
    const p = findings.at(-1)!.output as {
      tier: string;
      agentStakeCapCredits: number;
      openMarkets: number;
      openFixtures: number;
      agents: { name: string; intent: string; description: string }[];
    };
    return [
      `You are on the ${p.tier} tier. Agents trade for you only on an explicit instruction, under a cap of ${cr(p.agentStakeCapCredits)} staked per run. ` +
        `${p.openMarkets} markets are open right now, on ${p.openFixtures} fixtures.`,
      `The agents: ${p.agents.map((a) => `${a.name} (intent ${a.intent}): ${a.description}`).join(" ")}`,
    ];
  },
};
