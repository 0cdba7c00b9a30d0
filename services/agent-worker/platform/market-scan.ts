import type { MarketView } from "../../exchange/client.js";
import type { ToolServices } from "../agent/tool.js";
import type { FixtureView } from "./fixtures.js";
import type { MatchState } from "./live-scores.js";
import { fixtureValue, type ValueLine } from "./model-value.js";

/** Price points read per market to measure its move: since opening for all but the busiest. */
const historyPoints = 500;

export interface PriceMove {
  marketId: string;
  matchId: string;
  title: string;
  status: string;
  /** The outcome whose price moved most, its first and latest price, and the change. */
  outcome: string;
  from: number;
  to: number;
  change: number;
  /** Price points compared (the opening price and one per trade since, at most `historyPoints`). */
  points: number;
}

export interface FixtureGap {
  matchId: string;
  home: string;
  away: string;
  kickoff: string;
  status: MatchState["status"];
  /** The fixture's outcome the market underprices most against the model. */
  best: ValueLine;
}

export interface LiveMatch {
  matchId: string;
  home: string;
  away: string;
  status: "live" | "halftime";
  minute?: number;
  score?: { home: number; away: number };
  /** The 1X2 market's prices now, when it has one. */
  prices?: Record<string, number>;
}

type ScanServices = Pick<ToolServices, "epl" | "exchange" | "live" | "model">;

/** Markets trading now (open, or suspended for a moment after a goal). */
async function tradingMarkets(services: ScanServices): Promise<MarketView[]> {
  const [open, suspended] = await Promise.all([
    services.exchange.listMarkets({ status: "open" }),
    services.exchange.listMarkets({ status: "suspended" }),
  ]);
  return [...open, ...suspended];
}

/** The markets whose prices moved most since they opened, biggest move first. */
export async function biggestMoves(services: ScanServices, limit: number): Promise<PriceMove[]> {
  const markets = await tradingMarkets(services);
  const moves = await Promise.all(
    markets.map(async (m): Promise<PriceMove | undefined> => {
      const history = await services.exchange.priceHistory({ marketId: m.marketId, limit: historyPoints });
      const first = history[0];
      if (!first) return undefined;
      const [outcome, change] = m.outcomes
        .map((o): [string, number] => [o, round4((m.prices[o] ?? 0) - (first.prices[o] ?? 0))])
        .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))[0]!;
      return {
        marketId: m.marketId,
        matchId: m.matchId,
        title: m.title,
        status: m.status,
        outcome,
        from: first.prices[outcome]!,
        to: m.prices[outcome]!,
        change,
        points: history.length,
      };
    }),
  );
  return moves
    .filter((m): m is PriceMove => m !== undefined && m.change !== 0)
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.marketId.localeCompare(b.marketId))
    .slice(0, limit);
}

/** Per fixture with open markets, its largest model-minus-price gap; largest first. */
export async function modelGaps(services: ScanServices, limit: number): Promise<FixtureGap[]> {
  const byMatch = new Map<string, MarketView[]>();
  for (const m of await services.exchange.listMarkets({ status: "open" })) {
    byMatch.set(m.matchId, [...(byMatch.get(m.matchId) ?? []), m]);
  }
  const gaps: FixtureGap[] = [];
  for (const [matchId, markets] of byMatch) {
    const match = services.epl.byId.get(matchId);
    if (!match) continue;
    const live = await services.live.match(matchId);
    const fixture: FixtureView = {
      matchId,
      home: match.home,
      away: match.away,
      kickoff: match.kickoff,
      status: live?.status ?? match.status,
      markets: markets.map((k) => ({
        marketId: k.marketId,
        kind: k.kind,
        status: k.status,
        prices: k.prices,
      })),
    };
    const best = fixtureValue(services.model, fixture, live)[0];
    if (best?.edge !== undefined) {
      gaps.push({
        matchId,
        home: match.home,
        away: match.away,
        kickoff: match.kickoff,
        status: fixture.status,
        best,
      });
    }
  }
  return gaps
    .sort((a, b) => b.best.edge! - a.best.edge! || a.matchId.localeCompare(b.matchId))
    .slice(0, limit);
}

/** Matches the feed is playing now, with their 1X2 prices, earliest kick-off first. */
export async function liveMatches(services: ScanServices, limit: number): Promise<LiveMatch[]> {
  const markets = await tradingMarkets(services);
  const matchIds = [...new Set(markets.map((m) => m.matchId))];
  const states = await Promise.all(matchIds.map((id) => services.live.match(id)));
  return states
    .filter((s): s is MatchState => s !== undefined && (s.status === "live" || s.status === "halftime"))
    .sort((a, b) => a.kickoff.localeCompare(b.kickoff) || a.matchId.localeCompare(b.matchId))
    .slice(0, limit)
    .map((s) => {
      const view: LiveMatch = {
        matchId: s.matchId,
        home: s.home,
        away: s.away,
        status: s.status as LiveMatch["status"],
      };
      if (s.minute !== undefined) view.minute = s.minute;
      if (s.score) view.score = s.score;
      const prices = markets.find((m) => m.matchId === s.matchId && m.kind === "1x2")?.prices;
      if (prices) view.prices = prices;
      return view;
    });
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
