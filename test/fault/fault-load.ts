import assert from "node:assert/strict";
import { fetchDevTokens } from "../../loadtest/lib/dev-tokens.js";
import { balancedBooks } from "../../services/exchange/testing/fixtures.js";
import { LiveClient } from "../support/live-client.js";
import { compareWithLog, type LogComparison } from "../support/live-log.js";
import { until } from "../support/polling.js";
import type { FaultDeployment } from "./fault-deployment.js";
import { type Incident, incidentsOf } from "./fault-report.js";
import { problemsOfRuns, type RunLoad, type RunLoadOptions, startRunLoad } from "./run-load.js";
import { auditTrades, type TradeAudit } from "./trade-audit.js";
import { startTradeLoad, type TradeKey, type TradeLoad, type TradeUser } from "./trade-load.js";

/**
 * The load the fault tests put on a fault deployment and check afterwards (docs/reliability.md):
 * traders on WebSocket and HTTP, agent runners and live subscribers through every gateway; then
 * every trade against the database, every run against `AGENT_OUT` and every live subscriber
 * against the LIVE log.
 */

/** Service environment of the fault tests: fast tokens, short ack waits, a match in 90 s. */
export function faultEnv(secret: string): Record<string, string> {
  return {
    JWT_SECRET: secret,
    DEV_TOKENS: "true",
    METRICS_PORT: "0",
    OFFLINE_TOKEN_DELAY_MS: "5",
    COALESCE_MS: "5",
    // A run whose worker died moves on after 1.5 s.
    AGENT_ACK_WAIT_MS: "1500",
    AGENT_RUNS_PER_MINUTE_PRO: "600",
    FEED_MATCH_DURATION_MS: "90000",
    FEED_ROUND_GAP_MS: "1000",
    FEED_LEASE_MS: "1500",
  };
}

export interface LiveSpec {
  userId: string;
  /** Index of the gateway it connects to first. */
  first: number;
  channels: string[];
}

export interface FaultLoadOptions {
  traders: number;
  runners: number;
  /** Index of the first gateway of trader `i`. */
  traderGateway(i: number): number;
  live: readonly LiveSpec[];
  markets: readonly { id: string; outcomes: readonly string[] }[];
  /** How long a trader waits for an attempt's answer before sending it again under its key (8 s). */
  attemptTimeoutMs?: number;
}

export interface FaultLoad {
  trades: TradeLoad;
  runs: RunLoad;
  runOptions: RunLoadOptions;
  traders: readonly TradeUser[];
  liveClients: readonly LiveClient[];
  /** Resolves once every trader has had a trade filled after `since` and every live client is subscribed. */
  steady(since: number, timeoutMs: number): Promise<void>;
  /** Stops the load and checks it: the outcome, with `endAt` when the load stopped. */
  finish(): Promise<FaultOutcome>;
  /** Stops everything at once (test teardown). */
  close(): Promise<void>;
}

export interface FaultOutcome {
  endAt: number;
  live: { userId: string; comparison: LogComparison }[];
  liveFailures: string[];
  runProblems: Map<string, string[]>;
  keys: TradeKey[];
  audit: TradeAudit;
  incidents: { lost: Incident[]; duplicated: Incident[] };
}

/** Pro traders `trader-<i>` and runners `runner-<i>`; trader `i` uses WebSocket when `i` is even, else HTTP. */
export async function startFaultLoad(fx: FaultDeployment, options: FaultLoadOptions): Promise<FaultLoad> {
  const urls = fx.gateways.map((g) => g.url!);
  const wsUrls = urls.map((u) => `${u.replace(/^http/, "ws")}/ws`);
  const traderSpecs = Array.from({ length: options.traders }, (_, i) => ({
    userId: `trader-${i}`,
    tier: "pro" as const,
  }));
  const runnerSpecs = Array.from({ length: options.runners }, (_, i) => ({
    userId: `runner-${i}`,
    tier: "pro" as const,
  }));
  const tokens = await fetchDevTokens(urls[0]!, [...traderSpecs, ...runnerSpecs]);
  const traders: TradeUser[] = traderSpecs.map((u, i) => ({
    userId: u.userId,
    token: tokens[i]!,
    transport: i % 2 === 0 ? "ws" : "http",
    first: options.traderGateway(i) % urls.length,
  }));
  const liveTokens = await fetchDevTokens(
    urls[1]!,
    options.live.map((s) => ({ userId: s.userId, tier: "free" })),
  );
  const liveClients: LiveClient[] = [];
  for (const [i, spec] of options.live.entries()) {
    liveClients.push(await LiveClient.open({ ...spec, urls: wsUrls, token: liveTokens[i]! }));
  }

  const trades = startTradeLoad({
    gateways: urls,
    users: traders,
    markets: options.markets,
    thinkMs: 100,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 8000,
    retryMs: 100,
  });
  const runOptions: RunLoadOptions = {
    urls: wsUrls,
    users: runnerSpecs.map((u, i) => ({
      userId: u.userId,
      token: tokens[traders.length + i]!,
      first: i % 2,
    })),
    requests: [
      { agent: "leagueStatsAgent", input: "Show me the league table" },
      { agent: "portfolioAgent", input: "How is my portfolio doing?" },
      { agent: "oddsAnalystAgent", input: "Odds for Arsenal v Chelsea" },
    ],
    silenceMs: 15_000,
    giveUpMs: 60_000,
  };
  const runs = startRunLoad(runOptions);

  return {
    trades,
    runs,
    runOptions,
    traders,
    liveClients,
    async steady(since, timeoutMs) {
      const filledSince = (userId: string) =>
        trades.attempts.some((a) => a.userId === userId && a.outcome === "filled" && a.answeredAt >= since);
      await until(
        () => traders.every((t) => filledSince(t.userId)) && liveClients.every((c) => c.live),
        timeoutMs,
        "every trader filling and every live client subscribed",
      );
    },
    async finish() {
      await trades.stop(30_000);
      await runs.stop();
      const endAt = Date.now();
      const live: FaultOutcome["live"] = [];
      const liveFailures: string[] = [];
      for (const client of liveClients) {
        await client.settled().catch((err: Error) => liveFailures.push(`${client.userId}: ${err.message}`));
        for (const channel of client.channels) {
          live.push({
            userId: client.userId,
            comparison: await compareWithLog(fx.deployment.env, client, channel),
          });
        }
        const lost = client.historyLost();
        if (lost.length > 0)
          liveFailures.push(`${client.userId}: a resume fell back to a snapshot (${lost.join(", ")})`);
        client.close();
      }
      const runProblems = await problemsOfRuns(runOptions, runs.runs);
      const keys = [...trades.keys.values()];
      const audit = await auditTrades(fx.databaseUrl, keys);
      const incidents = incidentsOf(audit, live, runs.runs, runProblems, endAt);
      return { endAt, live, liveFailures, runProblems, keys, audit, incidents };
    },
    async close() {
      for (const client of liveClients) client.close();
      await Promise.all([trades.stop(0), runs.stop()]);
    },
  };
}

/**
 * What every fault test requires, whatever it broke: no process exits unasked; every trade
 * acknowledged is stored once, ends in one outcome and leaves the books balanced; every run
 * completes and replays the same; every live subscriber resumes from history and sees every
 * event once.
 */
export function assertNothingLost(fx: FaultDeployment, load: FaultLoad, outcome: FaultOutcome): void {
  const { audit, runProblems, liveFailures, incidents } = outcome;
  assert.deepEqual(
    fx.unexpectedExits.map((e) => `${e.label} exited (code ${e.code}, signal ${e.signal}):\n${e.tail}`),
    [],
    "no process exits but the one killed",
  );
  assert.deepEqual(
    audit.lost.map((x) => `${x.key.key}: ${x.problem}`),
    [],
    "every acknowledged trade is stored, once, as acknowledged",
  );
  assert.deepEqual(
    audit.unresolved.map((k) => `${k.key} after ${k.attempts} attempts`),
    [],
    "every trade ends in an outcome",
  );
  assert.deepEqual(audit.duplicated, [], "no trade is stored that no key accounts for");
  assert.deepEqual(
    audit.storedButRefused.map((k) => `${k.key}: ${k.outcome}`),
    [],
    "no refused trade is stored",
  );
  assert.deepEqual(load.trades.conflictingAnswers(), [], "a retried trade has exactly one outcome");
  assert.deepEqual(audit.books, balancedBooks, "ledger balanced, no negative balance, positions = trades");
  assert.deepEqual(
    [...runProblems].map(([id, p]) => `${id}: ${p.join("; ")}`),
    [],
    "every agent run completes (or ends with a retryable error), each frame once, and replays the same",
  );
  assert.deepEqual(liveFailures, [], "live clients resume from history, never from a snapshot");
  assert.deepEqual(
    incidents.lost
      .concat(incidents.duplicated)
      .filter((x) => x.kind === "live")
      .map((x) => x.what),
    [],
    "live subscribers see every event once",
  );
  for (const { userId, comparison } of outcome.live) {
    assert.ok(comparison.received.length > 0, `${userId} received events on ${comparison.channel}`);
  }
}
