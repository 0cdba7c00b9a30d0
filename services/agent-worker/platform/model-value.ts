import { inPlayProbabilities } from "../../../shared/epl/in-play.js";
import { type MarketKind, marketKinds, marketPrices } from "../../../shared/epl/markets.js";
import type { Model } from "../../../shared/epl/model.js";
import type { FixtureView } from "./fixtures.js";
import type { MatchState } from "./live-scores.js";

export interface ValueLine {
  marketId: string;
  kind: string;
  outcome: string;
  /** The model's probability (in play when the match is live). */
  model: number;
  /** The market's price, or undefined when no market is open on it. */
  price?: number;
  /** model − price: positive is value (the market underprices the outcome). */
  edge?: number;
}

/**
 * Every outcome of a fixture with the model's probability beside the market price, best edge
 * first. In play, the model's probability follows the score and the clock.
 */
export function fixtureValue(model: Model, fixture: FixtureView, live?: MatchState): ValueLine[] {
  const inPlay =
    live && (live.status === "live" || live.status === "halftime") && live.score && live.minute !== undefined;
  const p = inPlay
    ? inPlayProbabilities(model.rates(fixture.home, fixture.away), live.minute!, live.score!)
    : model.predict(fixture.home, fixture.away);
  const lines: ValueLine[] = [];
  for (const kind of Object.keys(marketKinds) as MarketKind[]) {
    const probabilities = marketPrices(kind, p);
    const market = fixture.markets.find((m) => m.kind === kind);
    for (const outcome of marketKinds[kind].outcomes) {
      const line: ValueLine = {
        marketId: market?.marketId ?? `${fixture.matchId}.${kind}`,
        kind,
        outcome,
        model: round4(probabilities[outcome] ?? 0),
      };
      const price = market?.status === "open" ? market.prices[outcome] : undefined;
      if (price !== undefined) {
        line.price = price;
        line.edge = round4(line.model - price);
      }
      lines.push(line);
    }
  }
  return lines.sort((a, b) => (b.edge ?? Number.NEGATIVE_INFINITY) - (a.edge ?? Number.NEGATIVE_INFINITY));
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
