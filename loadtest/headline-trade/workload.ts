import { type Dataset, shortName } from "../../shared/epl/dataset.js";

/** The body of `POST /api/epl/trade`: one fixture named by its clubs. */
export interface TradeBody {
  homeTeam: string;
  awayTeam: string;
}

/** The headline request's fixtures: the next ten to be played, one per connection in turn. */
export function headlineFixtures(epl: Dataset): TradeBody[] {
  return epl.matches
    .filter((m) => m.status !== "finished")
    .slice(0, 10)
    .map((m) => ({ homeTeam: shortName(m.home), awayTeam: shortName(m.away) }));
}

/**
 * The floor's agent input: the trading agent refuses to act for someone else before any model or
 * tool work, so the run costs only the platform's path.
 */
export function refusedRunInput(fixture: TradeBody): string {
  return `Buy the home side of ${fixture.homeTeam} v ${fixture.awayTeam} for my friend`;
}

/** The first words of that refusal (services/agent-worker/platform/intent-check.ts). */
export const refusalOpening = "I can't act for someone else";
