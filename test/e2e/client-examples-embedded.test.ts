import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { until } from "../support/polling.js";

/**
 * Issue 18: the client library's two examples (shared/client/examples) run as a trader would run
 * them, as processes of their own, against the embedded platform on a real port.
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

async function startPlatform(overrides: Parameters<typeof loadConfig>[1], port = 0) {
  const config = loadConfig({}, { port, offlineTokenDelayMs: 0, logLevel: "silent", ...overrides });
  const platform = await buildPlatform(config, createLogger(config));
  const base = await platform.app.listen({ host: "127.0.0.1", port });
  return { platform, base, port: Number(new URL(base).port) };
}

interface Example {
  child: ChildProcess;
  stdout(): string;
  exited: Promise<number | null>;
}

function runExample(name: string, args: string[]): Example {
  const child = spawn(process.execPath, ["--import", "tsx", `shared/client/examples/${name}.ts`, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => `${out}${err === "" ? "" : `\n[stderr]\n${err}`}`, exited };
}

async function devToken(base: string, userId: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  return ((await res.json()) as { token: string }).token;
}

// One platform at a time: two starting together in one process outran Fastify's plugin timeout on a busy machine.
describe("the client library's examples against the embedded platform", { concurrency: false }, () => {
  const platforms: Platform[] = [];
  const children: ChildProcess[] = [];
  const dirs: string[] = [];

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const platform of platforms) await platform.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("the trading bot buys the value the agent finds on the next fixture, within its stake cap", async () => {
    // No match clock: the next fixture stays the next one while the test runs.
    const { platform, base } = await startPlatform({ dataDir: "memory", feedEnabled: false });
    platforms.push(platform);
    const listing = (await (await fetch(`${base}/api/matches?status=scheduled`)).json()) as {
      matches: { matchId: string; kickoff: string }[];
    };
    const next = listing.matches.sort((a, b) => a.kickoff.localeCompare(b.kickoff))[0]!;

    // Priced as the model prices it, the fixture holds no value: the bot does not trade.
    const calm = runExample("trading-bot", ["--url", base, "--user", "bot-calm", "--stake-cap", "20"]);
    children.push(calm.child);
    assert.equal(await calm.exited, 0, calm.stdout());
    assert.match(calm.stdout(), /no recommendation above an edge of 0\.02: no trade/);

    // A big buy of the home side moves the market off the model: the draw and away are value now.
    const whale = await devToken(base, "whale");
    const moved = await fetch(`${base}/api/trades`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${whale}` },
      body: JSON.stringify({ marketId: `${next.matchId}.1x2`, outcome: "home", side: "buy", shares: 300 }),
    });
    assert.equal(moved.status, 201, await moved.clone().text());
    const bot = runExample("trading-bot", ["--url", base, "--user", "bot-value", "--stake-cap", "20"]);
    children.push(bot.child);
    assert.equal(await bot.exited, 0, bot.stdout());
    assert.match(bot.stdout(), new RegExp(`TRADE bought [\\d.]+ (draw|away) in ${next.matchId}\\.1x2`));
    const trades = (await (
      await fetch(`${base}/api/trades`, {
        headers: { authorization: `Bearer ${await devToken(base, "bot-value")}` },
      })
    ).json()) as { trades: { cost: number }[] };
    assert.equal(trades.trades.length, 1);
    assert.ok(trades.trades[0]!.cost <= 20, `cost ${trades.trades[0]!.cost} within the cap of 20`);
  });

  test("the score ticker prints every goal exactly once across a restart of the platform", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ticker-"));
    dirs.push(dataDir);
    const config = { dataDir, feedMatchDurationMs: 30_000, feedRoundGapMs: 4_000, feedGoalSuspendMs: 100 };
    const first = await startPlatform(config);
    const ticker = runExample("score-ticker", ["--url", first.base, "--user", "ticker"]);
    children.push(ticker.child);
    const goals = () =>
      ticker
        .stdout()
        .split("\n")
        .filter((l) => l.startsWith("GOAL "));
    await until(() => goals().length >= 3, 60_000, "three goals printed");
    // Restarted between rounds: embedded mode keeps its live log in memory, so a match in play at a
    // restart is played again from kick-off (docs/operations.md), new goals the ticker must print.
    await until(
      async () => {
        const live = (await (await fetch(`${first.base}/api/matches?status=live`)).json()) as {
          matches: unknown[];
        };
        return live.matches.length === 0;
      },
      60_000,
      "a pause between rounds",
    );
    const beforeRestart = goals().length;
    // Draining closes the ticker's socket 1012; the platform comes back on the same port and data.
    await first.platform.close();
    const second = await startPlatform(config, first.port);
    platforms.push(second.platform);
    await until(() => goals().length >= beforeRestart + 3, 90_000, "three more goals after the restart");
    ticker.child.kill("SIGTERM");

    assert.match(ticker.stdout(), /\[connection reconnecting\][\s\S]*\[connection online\]/);
    const printed = goals();
    assert.equal(new Set(printed).size, printed.length, `no goal twice:\n${printed.join("\n")}`);
    // Per match, each goal adds one to the total: none missed between two printed.
    const totals = new Map<string, number[]>();
    for (const line of printed) {
      const [, home, away, matchId] = /(\d+)-(\d+)(?: \([^)]*\))? \[(.+)\]$/.exec(line)!;
      totals.set(matchId!, [...(totals.get(matchId!) ?? []), Number(home) + Number(away)]);
    }
    for (const [matchId, seen] of totals) {
      assert.deepEqual(
        seen,
        seen.map((_, i) => seen[0]! + i),
        `${matchId}: goals one by one, ${seen}`,
      );
    }
  });
});
