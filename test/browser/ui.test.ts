import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { chromiumArgs, chromiumPath, screenshotDir } from "../support/chromium.js";
import { untilFound } from "../support/polling.js";

/**
 * The web client in a real browser (Debian's Chromium, installed by scripts/ensure-browser.sh)
 * against the embedded platform on a real port: what a person signing in sees and does.
 */
const screenshots = screenshotDir();
let platform: Platform;
let base: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let startingBalance: number;
/** The page's WebSocket connections, to cut them as a network would. */
const upgraded: Socket[] = [];

before(async () => {
  // No coalescing and a 1 ms token pause: each token of the offline model is its own
  // `agent.delta`, as a slower model's are (with no pause it sends its answer in one piece).
  const config = loadConfig(
    {},
    { dataDir: "memory", port: 0, offlineTokenDelayMs: 1, coalesceMs: 0, logLevel: "silent" },
  );
  startingBalance = config.startingBalance;
  platform = await buildPlatform(config, createLogger(config));
  base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
  platform.app.server.on("upgrade", (_request, socket: Socket) => upgraded.push(socket));
  profile = mkdtempSync(join(tmpdir(), "epl-browser-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    args: [...chromiumArgs, "--disable-quic", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1360, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
});

after(async () => {
  await context?.close();
  await platform?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

const text = async (selector: string) => (await page.locator(selector).textContent()) ?? "";
const balance = async () => Number(await text("#balance"));

test("a user signs in, the socket is welcomed and the fixtures are listed", async () => {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(base);
  await page.getByLabel("User name").fill("ada");
  await page.getByLabel("Tier").selectOption("pro");
  await page.getByRole("button", { name: "Sign in" }).click();

  await page.locator("#status", { hasText: /^Online · gateway \S+/ }).waitFor();
  await page.locator("#who", { hasText: "ada (pro)" }).waitFor();
  await page.locator("#upcoming-list li").first().waitFor();
  assert.ok((await page.locator("#upcoming-list li").count()) > 10);
  await page.locator("#balance", { hasText: startingBalance.toFixed(2) }).waitFor();
  assert.deepEqual(errors, []);
});

test("buying after a quote lowers the balance and opens the position", async () => {
  await page.locator("#upcoming-list button.match").first().click();
  const draw = page.locator('.market[data-status="open"] button.outcome', { hasText: "Draw" });
  await draw.waitFor();
  await draw.click();
  await page.getByLabel("Shares").fill("10");
  await page.getByRole("button", { name: "Quote" }).click();

  const quote = await page.locator("#quote", { hasText: /cost \d+\.\d\d credits/ }).textContent();
  const cost = Number(/cost (\d+\.\d\d) credits/.exec(quote ?? "")![1]);
  assert.ok(cost > 0 && cost < 10, `10 shares cost ${cost}`);
  await page.getByRole("button", { name: `Buy 10 for ${cost.toFixed(2)}` }).click();

  await page.locator("#trade-result", { hasText: /^Filled: Bought 10 Draw/ }).waitFor();
  const expected = (startingBalance - cost).toFixed(2);
  await page.locator("#balance", { hasText: new RegExp(`^${expected}$`) }).waitFor();
  assert.equal(await balance(), Number((startingBalance - cost).toFixed(2)));
  const row = page.locator("#open-body tr", { hasText: "Draw" });
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /Match result.*Draw\s*10/);
});

test("the league stats agent streams its answer with its tool calls", async () => {
  await page.getByLabel("Agent", { exact: true }).selectOption("leagueStatsAgent");
  await page.getByLabel("Question").fill("How are Arsenal doing?");
  await page.getByRole("button", { name: "Ask" }).click();

  await page.locator("#answer-meta", { hasText: /^Done · \d+ tokens in, \d+ out$/ }).waitFor();
  assert.match(await text("#answer-text"), /Arsenal/);
  // Each delta is appended as it arrives, not the finished text at once.
  const pieces = await page.locator("#answer-text").evaluate((el) => el.childNodes.length);
  assert.ok(pieces > 1, `the answer arrived in ${pieces} piece(s)`);
  assert.ok((await page.locator("#tools details.tool").count()) > 0);
  // A finished tool call still shows what it was asked (cut short with … when long), beside
  // what it answered.
  const finished = page.locator('#tools details.tool[data-status="finished"]').first();
  assert.match((await finished.locator("summary").textContent()) ?? "", /^✓ \w+ \{.+(\}|…)$/);
  assert.match((await finished.locator(".tool-body").textContent()) ?? "", /^in \{.+out /);
  assert.equal(await page.getByRole("button", { name: "Cancel" }).isDisabled(), true);

  await page.screenshot({ path: join(screenshots, "desk.png"), fullPage: true });
});

test("after the connection drops the page reconnects and resumes its channels where it left off", async () => {
  const sent: { type: string; since?: Record<string, unknown> }[] = [];
  const received: { type: string; channels?: { channel: string; recovered?: boolean }[] }[] = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => received.push(JSON.parse(String(f.payload))));
  });
  const balanceBefore = await text("#balance");
  for (const socket of upgraded) socket.destroy();

  await page.locator("#status", { hasText: /^Offline · retrying/ }).waitFor();
  await page.locator("#status", { hasText: /^Online · gateway/ }).waitFor();
  const subscribe = await untilFound(
    () => sent.find((f) => f.type === "subscribe"),
    5000,
    "a subscribe sent",
  );
  assert.deepEqual(Object.keys(subscribe.since ?? {}).sort(), ["prices", "scores", "user"]);
  const subscribed = await untilFound(
    () => received.find((f) => f.type === "subscribed"),
    5000,
    "subscribed",
  );
  assert.deepEqual(subscribed.channels?.map((c) => [c.channel, c.recovered]).sort(), [
    ["prices", true],
    ["scores", true],
    ["user", true],
  ]);
  assert.equal(await text("#balance"), balanceBefore);
  assert.equal(await page.locator("#open-body tr", { hasText: "Draw" }).count(), 1);
});
