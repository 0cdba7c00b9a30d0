import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { type BacktestResult, runBacktest, type Strategy } from "./backtest.js";

const data = loadDataset();
const season = "2024-25";
const backtest = (strategy: Strategy, threshold?: number): Promise<BacktestResult> =>
  runBacktest(
    data,
    { season, strategy, stake: 10, ...(threshold === undefined ? {} : { threshold }) },
    () => {},
  );

test("home favourites back the home side only where the model makes it the favourite", async () => {
  const [home, homeFavourite] = await Promise.all([backtest("home"), backtest("home_favourite")]);
  assert.equal(home.passed, 0);
  assert.ok(
    homeFavourite.bets > 0 && homeFavourite.bets < home.bets,
    `${homeFavourite.bets} of ${home.bets}`,
  );
  assert.equal(homeFavourite.bets + homeFavourite.passed, home.bets);
  // Favourites win more often than home sides in general.
  assert.ok(homeFavourite.hitRate > home.hitRate, `${homeFavourite.hitRate} vs ${home.hitRate}`);
  assert.match(homeFavourite.description, /only in matches where the model makes it the most likely result/);
});

test("value bets only where the model beats the base-rate price by the threshold, fewer as it rises", async () => {
  const [loose, strict] = await Promise.all([backtest("value", 0.03), backtest("value", 0.15)]);
  assert.ok(strict.bets > 0 && strict.bets < loose.bets, `${strict.bets} vs ${loose.bets}`);
  assert.equal(loose.bets + loose.passed, strict.bets + strict.passed);
  assert.equal(strict.threshold, 0.15);
  assert.match(strict.description, /a threshold of 0\.15/);
});
