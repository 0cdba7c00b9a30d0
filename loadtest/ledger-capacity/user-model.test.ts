import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultUserModel, peakRates, primaryLoad } from "./user-model.js";

test("a million users at the default model: the peak's rates by where they run", () => {
  const rates = peakRates(defaultUserModel);
  // 1e6 users × 0.5 trades/h × 6 at the peak / 3600 s.
  assert.equal(Math.round(rates.trades), 833);
  // quotes 1.5 + own reads 2 + half of 0.5 runs × 6 reads = 5 per hour.
  assert.equal(Math.round(rates.primaryReads), Math.round((1e6 * 5 * 6) / 3600));
  // lists 3 + the other half of the agent reads = 4.5 per hour.
  assert.equal(Math.round(rates.listReads), 7500);
});

test("the primary's load is CPU per operation times the rate, against 70 % of its cores", () => {
  const load = primaryLoad(
    { trades: 1000, primaryReads: 2000, listReads: 4000 },
    {
      tradeCpuMs: 0.5,
      primaryReadCpuMs: 0.1,
      listReadCpuMs: 0.1,
    },
  );
  assert.equal(load.tradeCores, 0.5);
  assert.equal(load.totalCores, 0.5 + 0.2 + 0.4);
  assert.equal(load.utilisation, 1.1 / 5.6);
});
