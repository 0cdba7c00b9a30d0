import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { defaultFeedSeed, scheduleRounds } from "../../services/market-feed/market-feed.js";
import { simulatedScript } from "../../services/market-feed/match-script.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { marketId } from "../../shared/epl/markets.js";
import { fitModel } from "../../shared/epl/model.js";
import { createLogger } from "../../shared/logger.js";
import { launchChromium } from "../support/chromium.js";

/**
 * The trader's desk (issue 14) in a real Chromium while a match is played live: the timeline and
 * the chart mark half-time, and a decided market closes and pays at the goal that decides it,
 * before full time (docs/protocol.md "Channels"). The page bets before kick-off and the test then
 * starts the match clock, so no goal's suspension can race the buy however slow the machine; the
 * chosen fixture's seeded script scores its third goal after half-time and by minute 70.
 */
/** Long enough that the third goal (minute 62 of the fixture below) leaves seconds before full time. */
const matchDurationMs = 30_000;
const dataset = loadDataset();
const model = fitModel(dataset);
const firstRound = scheduleRounds(dataset)[0]!;
const threeGoals = firstRound.find((m) => {
  const goals = simulatedScript(m.id, model.rates(m.home, m.away), defaultFeedSeed).filter(
    (h) => h.kind === "goal",
  );
  return goals.length >= 3 && goals[2]!.minute > 50 && goals[2]!.minute <= 70;
})!;
const ou25 = marketId(threeGoals.id, "ou25");

let platform: Platform;
let browser: Browser;
let page: Page;

before(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(10_000);
  const config = loadConfig(
    {},
    {
      dataDir: "memory",
      port: 0,
      logLevel: "silent",
      // Started by the test once the page has bet.
      feedEnabled: false,
      feedMatchDurationMs: matchDurationMs,
      feedRoundGapMs: 60_000,
      feedGoalSuspendMs: 100,
    },
  );
  platform = await buildPlatform(config, createLogger(config));
  const server = await platform.app.listen({ host: "127.0.0.1", port: 0 });
  await page.goto(server);
});

after(async () => {
  await browser?.close();
  await platform?.close();
});

test("bought before kick-off, over 2.5 is marked at half-time, then shows won and pays in Settled at the third goal, before full time", async () => {
  await page.getByLabel("User name").fill("over-bettor");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#status", { hasText: /^Online/ }).waitFor();
  await page.locator(`#upcoming-list li[data-match="${threeGoals.id}"] button.match`).click();
  const card = page.locator(`.market[data-market="${ou25}"]`);
  const over = card.locator("button.outcome", { hasText: "Over 2.5" });
  await over.click();
  await page.locator("#confirm", { hasText: /^Buy 10 for/ }).click();
  await page.locator("#trade-result", { hasText: /^Filled: Bought 10 Over 2\.5/ }).waitFor();

  // A fresh quote on the slip while the match is played: it must not outlive the market.
  await page.getByRole("button", { name: "Quote" }).click();
  await page.locator("#confirm", { hasText: /^Buy 10 for/ }).waitFor();

  platform.startFeed();
  await page.locator(`#live-list li[data-match="${threeGoals.id}"]`).waitFor();
  // Half-time: a line of the timeline with the score at the break, and the chart's marker.
  await page
    .locator("#timeline li.halftime", { hasText: /^45' Half-time \d–\d$/ })
    .waitFor({ timeout: 30_000 });
  await page.locator('#chart[data-half-time="shown"]').waitFor();

  await card.locator(".badge", { hasText: /^Settled · Over 2\.5 won$/ }).waitFor({ timeout: 30_000 });
  // Still being played when it settled: paid at the goal, not at full time.
  assert.equal(await page.locator(`#live-list li[data-match="${threeGoals.id}"]`).count(), 1);
  assert.equal(await page.locator("#timeline li.fulltime").count(), 0);
  // The decided market shows who won, not its last prices.
  assert.deepEqual(await card.locator("button.outcome .price").allTextContents(), ["Won", "Lost"]);
  assert.equal(await over.isDisabled(), true);
  assert.equal(await page.locator("#slip-note").textContent(), "Settled: this market has paid out.");
  assert.equal(await page.locator("#confirm").isDisabled(), true);
  // No stale offer left on the slip of a market that will never trade again.
  assert.equal(await page.locator("#quote").textContent(), "");
  assert.equal(await page.getByRole("button", { name: "Quote" }).isDisabled(), true);

  await page.getByRole("tab", { name: "Settled" }).click();
  const paid = page.locator(`#settled-body tr[data-market="${ou25}"]`);
  await paid.waitFor();
  assert.match((await paid.textContent()) ?? "", /Over 2\.5\s*Over 2\.5\s*10\.00\s*\+\d+\.\d\d/);
});
