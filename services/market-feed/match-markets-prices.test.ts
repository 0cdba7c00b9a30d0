import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { marketSpecs } from "../exchange/market-specs.js";
import { createMatchMarkets, type InPlayExchange } from "./match-markets.js";

const dataset = loadDataset();
const model = fitModel(dataset);
const fixture = dataset.matches.find((m) => m.status === "scheduled")!;

/** The exchange calls the feed makes, recorded in process: this test is about prices, not the store. */
function recordingExchange() {
  const reprices = new Map<string, Record<string, number>>();
  const exchange = {
    reprice: async (input: { marketId: string; prices: Record<string, number> }) => {
      reprices.set(input.marketId, input.prices);
      return {} as never;
    },
    setMarketStatus: async () => ({}) as never,
    settle: async () => ({}) as never,
    listMarkets: async () => [],
  } as unknown as InPlayExchange;
  return { exchange, reprices };
}

async function inPlayPrices(minute: number, score: { home: number; away: number }) {
  const { exchange, reprices } = recordingExchange();
  const markets = createMatchMarkets({
    exchange,
    matchId: fixture.id,
    rates: model.rates(fixture.home, fixture.away),
    suspendMs: 10,
    state: () => ({ minute, score }),
    onError: (err) => assert.fail(err as Error),
  });
  markets.resume();
  await markets.finish(score);
  markets.stop();
  return reprices;
}

test("at kick-off the feed reprices to the exchange's opening prices: no jump at minute 0", async () => {
  assert.ok(model.rho !== 0, "the pricing model has low-score dependence, so continuity is not automatic");
  const specs = marketSpecs(dataset, model, { "1x2": 100, ou25: 100, btts: 100 }, [fixture.id]);
  const reprices = await inPlayPrices(0, { home: 0, away: 0 });
  assert.equal(reprices.size, 3);
  for (const spec of specs) {
    const live = reprices.get(spec.id)!;
    spec.outcomes.forEach((outcome, i) => {
      assert.ok(
        Math.abs(live[outcome]! - spec.prices[i]!) < 1e-12,
        `${spec.id} ${outcome}: ${spec.prices[i]} → ${live[outcome]}`,
      );
    });
  }
});

test("after a minute the prices drift only a little from the opening prices", async () => {
  const specs = marketSpecs(dataset, model, { "1x2": 100, ou25: 100, btts: 100 }, [fixture.id]);
  const reprices = await inPlayPrices(1, { home: 0, away: 0 });
  for (const spec of specs) {
    spec.outcomes.forEach((outcome, i) => {
      assert.ok(Math.abs(reprices.get(spec.id)![outcome]! - spec.prices[i]!) < 0.01, `${spec.id} ${outcome}`);
    });
  }
});
