import type { AgentName } from "../../shared/protocol/agents.js";
import { defaultUserModel as ledgerModel } from "../ledger-capacity/user-model.js";

/**
 * What one user does in the peak hour (Saturday 15:00, ten matches in play), the load the
 * capacity test offers per user (docs/capacity.md, "Users per server"). The trade, quote and
 * agent-run rates are the database model's average hour times its peak factor, so both sections
 * of docs/capacity.md price the same user; the split of runs over agents and the reconnects are
 * this model's own. Every user holds one WebSocket for the whole hour.
 */
export interface CapacityUserModel {
  /** Agent runs per user per peak hour, by agent. */
  agentRunsPerHour: Partial<Record<AgentName, number>>;
  /** Trades placed by hand (a buy of one share on a market of a live match). */
  tradesPerHour: number;
  /** Quotes asked before deciding. */
  quotesPerHour: number;
  /** Dropped connections (mobile networks, sleeping tabs): a new socket resumes with `since`. */
  reconnectsPerHour: number;
  /** `market.<id>` channels each socket holds beside `scores` and `user`. */
  marketsPerSocket: number;
}

const peak = ledgerModel.peakFactor;

export const defaultCapacityModel: CapacityUserModel = Object.freeze({
  // 0.5 runs an average hour × 6 at the peak = 3, most of them about the matches in play.
  agentRunsPerHour: Object.freeze({
    eplTradingAgent: 1,
    liveTradingAgent: 0.5,
    eplScoutAgent: 0.5,
    portfolioAgent: 0.5,
    oddsAnalystAgent: 0.25,
    leagueStatsAgent: 0.25,
  }),
  tradesPerHour: ledgerModel.tradesPerHour * peak,
  quotesPerHour: ledgerModel.quotesPerHour * peak,
  reconnectsPerHour: 2,
  marketsPerSocket: 3,
});

export type ActionKind = "agentRun" | "trade" | "quote" | "reconnect";

/** Per-second arrivals of each action for `users` users at `compression` (one user-hour in 3600/compression s). */
export function actionRates(
  model: CapacityUserModel,
  users: number,
  compression: number,
): Record<ActionKind, number> {
  const perS = (perHour: number) => (users * perHour * compression) / 3600;
  return {
    agentRun: perS(totalRunsPerHour(model)),
    trade: perS(model.tradesPerHour),
    quote: perS(model.quotesPerHour),
    reconnect: perS(model.reconnectsPerHour),
  };
}

export function totalRunsPerHour(model: CapacityUserModel): number {
  return Object.values(model.agentRunsPerHour).reduce((a, b) => a + (b ?? 0), 0);
}

/**
 * The agent of run arrival `i`: a fixed cycle in which each agent takes its share of the model's
 * runs (quarters of a run per hour are the unit), spread rather than in blocks, so any stretch of
 * arrivals has about the model's mix.
 */
export function agentCycle(model: CapacityUserModel, unitPerHour = 0.25): AgentName[] {
  const slots = Object.entries(model.agentRunsPerHour).map(([agent, perHour]) => ({
    agent: agent as AgentName,
    count: Math.round((perHour ?? 0) / unitPerHour),
  }));
  const total = slots.reduce((a, s) => a + s.count, 0);
  // Largest remainder first: the agent furthest behind its share takes the next slot.
  const taken = new Map<AgentName, number>();
  const cycle: AgentName[] = [];
  for (let i = 1; i <= total; i++) {
    let best = slots[0]!;
    let bestLag = Number.NEGATIVE_INFINITY;
    for (const slot of slots) {
      const lag = (slot.count * i) / total - (taken.get(slot.agent) ?? 0);
      if (lag > bestLag) {
        best = slot;
        bestLag = lag;
      }
    }
    taken.set(best.agent, (taken.get(best.agent) ?? 0) + 1);
    cycle.push(best.agent);
  }
  return cycle;
}
