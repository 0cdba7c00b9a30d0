import type { MarketView, PricePointView, QuoteResult } from "../../../exchange/client.js";
import type { FixtureView } from "../../platform/fixtures.js";
import type { MatchState } from "../../platform/live-scores.js";
import type { ValueLine } from "../../platform/model-value.js";
import {
  cr,
  type Findings,
  fixtureName,
  fixtureQuery,
  foundFixture,
  kindName,
  outcomeName,
  pct,
  resolveTarget,
} from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

const valueWords =
  /\b(value|edge|odds|model|fair|worth|mispric\w*|underpric\w*|overpric\w*|probabilit\w*|should|chances?|likely|favou?rites?)\b/;
const movementWords = /\b(moved?|movement|history|trend|drift\w*|changed?|since)\b/;

export const findMarketsSkill: OfflineSkill = {
  tool: "findMarkets",
  topic: "a fixture's markets and prices",
  plan(q) {
    const query = fixtureQuery(q);
    // An alert is about what is to come: the next fixture, not one already under way.
    return query ? [q.tools.has("createAlert") ? { ...query, upcoming: true } : query] : [];
  },
  write(findings, q) {
    const { teams, fixtures } = findings.at(-1)!.output as { teams: string[]; fixtures: FixtureView[] };
    const first = fixtures[0];
    if (!first) return [`I found no fixture for ${teams.join(" and ")}.`];
    const paragraphs = [describeFixture(first)];
    const others = fixtures
      .slice(1)
      .map((f) => `${fixtureName(f)} (${f.kickoff.slice(0, 10)}, ${fixtureState(f)})`);
    if (others.length > 0) paragraphs[0] += ` Other fixtures of theirs: ${others.join("; ")}.`;
    if (q.trade && !resolveTarget(q.trade.target, first)) {
      paragraphs.push(`That fixture has no open market for what you asked, so I can't trade it.`);
    }
    return paragraphs;
  },
};

/** `scheduled`, `finished 2-1`, or in play `live 1-0, 63'`. */
function fixtureState(f: FixtureView): string {
  const minute = f.minute === undefined ? "" : `, ${f.minute}'`;
  return `${f.status}${f.score ? ` ${f.score}` : ""}${minute}`;
}

function describeFixture(f: FixtureView): string {
  const when = `kick-off ${f.kickoff.slice(0, 16).replace("T", " ")} UTC`;
  const head = `${fixtureName(f)} (${when}, ${fixtureState(f)})`;
  if (f.markets.length === 0) return `${head} has no markets on the exchange.`;
  const markets = f.markets.map((m) => {
    const prices = Object.entries(m.prices)
      .map(([o, p]) => `${o} ${p}`)
      .join(", ");
    return `${kindName(m.kind)} ${m.status}${m.winner ? ` (won by ${m.winner})` : ""}: ${prices}`;
  });
  return `${head}. Markets ${f.markets[0]!.marketId.replace(/\.[^.]+$/, "")}.*: ${markets.join("; ")}.`;
}

export const getValueSkill: OfflineSkill = {
  tool: "getValue",
  topic: "the model's probabilities against market prices",
  plan(q) {
    const query = fixtureQuery(q);
    // An order is valued too: its expected value is stated before it trades.
    const trading = q.trade?.instructed === true && q.tools.has("placeTrade");
    return query && (trading || (valueWords.test(q.lower) && !q.trade?.instructed)) ? [query] : [];
  },
  write(findings, _q, all) {
    // Before a trade the stream already stated the model's probability and the expected value.
    if (all.has("placeTrade")) return [];
    const v = findings.at(-1)!.output as { home: string; away: string; status: string; lines: ValueLine[] };
    const priced = v.lines.filter((l) => l.edge !== undefined);
    const name = fixtureName(v);
    if (priced.length === 0) {
      const model = v.lines
        .filter((l) => l.kind === "1x2")
        .map((l) => `${outcomeName(l.marketId, l.outcome, v)} ${l.model}`)
        .join(", ");
      return [`No market is open on ${name} to compare with; the model gives ${model}.`];
    }
    const line = (l: ValueLine) =>
      `${outcomeName(l.marketId, l.outcome, v)} in ${kindName(l.kind)}: model ${l.model} against price ${l.price} (edge ${l.edge! > 0 ? "+" : ""}${l.edge})`;
    const best = priced[0]!;
    const worst = priced.at(-1)!;
    const verdict =
      best.edge! > 0.02
        ? `The best value on ${name} is ${line(best)}.`
        : `The markets on ${name} sit on the model's numbers: the largest edge is ${line(best)}, too small to call value.`;
    const oneX2 = priced
      .filter((l) => l.kind === "1x2")
      .map((l) => `${outcomeName(l.marketId, l.outcome, v)} ${l.model} vs ${l.price}`)
      .join(", ");
    return [`${verdict} Match result, model vs market: ${oneX2}. Least value: ${line(worst)}.`];
  },
};

export const getMarketSkill: OfflineSkill = {
  tool: "getMarket",
  topic: "a market's prices and price history",
  plan(q, findings) {
    if (q.marketId !== undefined) return [{ marketId: q.marketId }];
    const fixture = foundFixture(findings);
    const market = fixture?.markets.find((m) => m.kind === "1x2");
    return market && movementWords.test(q.lower) ? [{ marketId: market.marketId }] : [];
  },
  write(findings, _q, all) {
    const m = findings.at(-1)!.output as MarketView & { history: PricePointView[] };
    const now = Object.entries(m.prices)
      .map(([o, p]) => `${o} ${p}`)
      .join(", ");
    const first = m.history[0];
    const moves = Math.max(0, m.history.length - 1);
    const opened = first
      ? ` Over its last ${m.history.length} price points it went from ${Object.entries(first.prices)
          .map(([o, p]) => `${o} ${p}`)
          .join(", ")}${moves === 0 ? ", unchanged" : ""}.`
      : "";
    return [
      `${m.title} is ${m.status}: ${now} now.${opened}${moves > 0 ? causeOfMoves(m.matchId, all) : ""}`,
    ];
  },
};

export const getQuoteSkill: OfflineSkill = {
  tool: "getQuote",
  topic: "what a trade would cost",
  plan(q, findings) {
    const fixture = foundFixture(findings);
    if (!q.trade || q.trade.instructed || q.trade.shares === undefined || !fixture) return [];
    const target = resolveTarget(q.trade.target, fixture);
    return target ? [{ ...target, side: q.trade.side, shares: q.trade.shares }] : [];
  },
  write(findings, _q) {
    return findings.map((f) => {
      const r = f.output as QuoteResult;
      return `${r.side === "buy" ? "Buying" : "Selling"} ${r.shares} shares of ${r.outcome} in ${r.marketId} would ${r.side === "buy" ? "cost" : "raise"} ${cr(r.cost)} now (average ${r.avgPrice} a share), moving the price to ${r.priceAfter}; if it wins they pay ${cr(r.shares)} (${pct(r.avgPrice)} implied).`;
    });
  },
};

/**
 * Why a market's prices moved, as far as the match tells: before kick-off nothing happened on the
 * pitch, so the moves are trades; in play the match's goals and the clock move them too.
 */
function causeOfMoves(matchId: string, all: Findings): string {
  const state = all
    .get("getLiveScore")
    ?.map((f) => f.output as MatchState)
    .find((s) => s.matchId === matchId);
  if (!state) return "";
  if (state.status === "scheduled" || state.status === "postponed") {
    return " The match has not kicked off, so every move came from trading: each buy pushes its outcome's price up and the others down.";
  }
  if (state.status === "live" || state.status === "halftime") {
    const goals = state.events.filter((e) => e.kind === "goal").length;
    return ` In play the score (${state.score?.home}-${state.score?.away}, ${plural(goals, "goal")} so far) and the clock move the prices as well as trades.`;
  }
  return "";
}
