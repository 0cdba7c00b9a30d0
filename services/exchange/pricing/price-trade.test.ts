import assert from "node:assert/strict";
import { test } from "node:test";
import { AppError, type ErrorCode } from "../../../shared/errors.js";
import { buy, openLmsr } from "./lmsr.js";
import { type PricedMarket, priceTrade } from "./price-trade.js";

const opened = openLmsr(100, [0.5, 0.3, 0.2]);
const market: PricedMarket = {
  id: "m1",
  outcomes: ["home", "draw", "away"],
  status: "open",
  lmsr: buy(opened, 0, 1_000).after,
};

function refuses(work: () => unknown, code: ErrorCode): void {
  assert.throws(work, (err: unknown) => err instanceof AppError && err.code === code);
}

test("a buy and a sell are priced on the LMSR, with the outcome's index and the state after", () => {
  const bought = priceTrade(market, { outcome: "draw", side: "buy", hundredths: 500 });
  assert.deepEqual(bought, { ...buy(market.lmsr, 1, 500), index: 1 });
  const sold = priceTrade(market, { outcome: "home", side: "sell", hundredths: 400 });
  assert.equal(sold.index, 0);
  assert.deepEqual(sold.after.sold, [600, 0, 0]);
  assert.ok(sold.cents > 0);
});

test("a market that is not open, an unknown outcome and a sell over what the market sold are refused", () => {
  refuses(
    () => priceTrade({ ...market, status: "suspended" }, { outcome: "home", side: "buy", hundredths: 1 }),
    "market_closed",
  );
  refuses(() => priceTrade(market, { outcome: "nobody", side: "buy", hundredths: 1 }), "invalid_outcome");
  refuses(() => priceTrade(market, { outcome: "home", side: "sell", hundredths: 1_001 }), "invalid_shares");
  refuses(() => priceTrade(market, { outcome: "draw", side: "sell", hundredths: 1 }), "invalid_shares");
});

test("a fill beyond the trade's maxCost or minProceeds is price_moved; at the limit it fills", () => {
  const cost = priceTrade(market, { outcome: "away", side: "buy", hundredths: 300 }).cents;
  refuses(
    () => priceTrade(market, { outcome: "away", side: "buy", hundredths: 300, maxCostCents: cost - 1 }),
    "price_moved",
  );
  assert.equal(
    priceTrade(market, { outcome: "away", side: "buy", hundredths: 300, maxCostCents: cost }).cents,
    cost,
  );
  const proceeds = priceTrade(market, { outcome: "home", side: "sell", hundredths: 300 }).cents;
  refuses(
    () =>
      priceTrade(market, { outcome: "home", side: "sell", hundredths: 300, minProceedsCents: proceeds + 1 }),
    "price_moved",
  );
  assert.equal(
    priceTrade(market, { outcome: "home", side: "sell", hundredths: 300, minProceedsCents: proceeds }).cents,
    proceeds,
  );
});
