import assert from "node:assert/strict";
import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import {
  dashboardExpressions,
  namesUsed,
  recordedNames,
  ruleExpressions,
} from "../infra/monitoring-expressions.js";
import { type Exposition, parseExposition } from "./metric-exposition.js";
import { until } from "./polling.js";

/**
 * The dashboard/rule cross-check against a running deployment: a little of every kind of traffic
 * (so labelled series exist), a scrape of each process's `/metrics`, and the list of metric names
 * the rules or dashboards use that no process exposes.
 */

/** Prometheus' own series, which no service exposes. */
const prometheusOwn = new Set(["up", "ALERTS", "ALERTS_FOR_STATE"]);

export interface Scrape {
  /** The process, e.g. `gateway` or `agent-worker`. */
  process: string;
  url: string;
  status: number;
  exposition?: Exposition;
}

export async function scrape(process: string, url: string): Promise<Scrape> {
  const res = await fetch(url);
  const text = await res.text();
  return { process, url, status: res.status, exposition: res.ok ? parseExposition(text) : undefined };
}

export interface Exemptions {
  /**
   * Metrics that have series only in conditions a short run cannot produce (why, for each); they
   * must still be declared by some process.
   */
  withoutSeries?: Record<string, string>;
  /** Metrics this deployment mode cannot have at all (why, for each). */
  notInThisMode?: Record<string, string>;
}

/**
 * What is wrong, one line each: a process whose `/metrics` does not answer, and each name a rule
 * or dashboard expression selects that no scrape has a sample of (histograms by their `_bucket`,
 * `_sum`, `_count` series; recording-rule names count as existing), with the expressions using it.
 */
export function unknownMetrics(scrapes: Scrape[], exemptions: Exemptions = {}): string[] {
  const problems = scrapes
    .filter((s) => s.exposition === undefined)
    .map((s) => `${s.process}: GET ${s.url} answered ${s.status}`);
  const sampled = new Set(scrapes.flatMap((s) => [...(s.exposition?.sampled ?? [])]));
  const declared = new Set(scrapes.flatMap((s) => [...(s.exposition?.declared ?? [])]));
  const recorded = recordedNames();
  const used = namesUsed([...ruleExpressions(), ...dashboardExpressions()]);
  for (const [name, where] of [...used].sort(([a], [b]) => a.localeCompare(b))) {
    if (sampled.has(name) || recorded.has(name) || prometheusOwn.has(name)) continue;
    if (exemptions.notInThisMode?.[name] !== undefined) continue;
    if (exemptions.withoutSeries?.[name] !== undefined && declared.has(name)) continue;
    const state = declared.has(name) ? "declared but has no series" : "exposed by no process";
    problems.push(`${name}: ${state}; used by ${where.join("; ")}`);
  }
  return problems;
}

/**
 * The `le` matchers of the rules (`x_bucket{le=~"10|10\\.0"}`: the share of observations above a
 * threshold) that match no bucket bound the scraped histogram has, one line each: without that
 * bound the rule reads nothing and its alert can never fire.
 */
export function missingBucketBounds(scrapes: Scrape[]): string[] {
  const problems: string[] = [];
  for (const { where, expr } of ruleExpressions()) {
    for (const [, histogram, op, pattern] of expr.matchAll(/(\w+_bucket)\{[^}]*\ble(=~|=)"([^"]+)"/g)) {
      const unescaped = pattern!.replace(/\\\\/g, "\\");
      const matches = (le: string) =>
        op === "=" ? le === unescaped : new RegExp(`^(?:${unescaped})$`).test(le);
      const bounds = new Set(
        scrapes.flatMap((s) =>
          (s.exposition?.samples ?? []).filter((x) => x.name === histogram).map((x) => x.labels.le ?? ""),
        ),
      );
      if (![...bounds].some(matches)) {
        problems.push(
          `${where}: ${histogram} has no bucket le=~"${unescaped}" (bounds: ${[...bounds].join(", ")})`,
        );
      }
    }
  }
  return problems;
}

/**
 * Scrapes `targets` until nothing is missing (some series appear a poll interval after the
 * traffic that makes them), then asserts; a failure lists every missing name.
 */
export async function assertEveryMetricExists(
  targets: { process: string; url: string }[],
  exemptions: Exemptions,
  timeoutMs = 10_000,
): Promise<Scrape[]> {
  let scrapes: Scrape[] = [];
  let problems: string[] = [];
  await until(
    async () => {
      scrapes = await Promise.all(targets.map((t) => scrape(t.process, t.url)));
      problems = unknownMetrics(scrapes, exemptions);
      return problems.length === 0;
    },
    timeoutMs,
    "every metric the rules and dashboards use",
  ).catch(() => undefined);
  assert.deepEqual(
    problems,
    [],
    `the rules and dashboards name metrics that do not exist:\n${problems.join("\n")}`,
  );
  return scrapes;
}

async function devToken(base: string, userId: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/dev-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, tier: "pro" }),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/**
 * One of each thing a user does, against the gateway at `base` (http://host:port): HTTP requests,
 * a WebSocket that stays open (until `close`), a frame the gateway refuses (an error), a trade
 * (filled, or refused when no market is open: either is a trade outcome) and an agent run to its
 * end.
 */
export async function causeTraffic(base: string): Promise<{ close(): void }> {
  const token = await devToken(base, "monitoring-check");
  const markets = async (query: string) => {
    const res = await fetch(`${base}/api/markets${query}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { markets: { matchId: string; kind: string }[] }).markets;
  };
  // A match-result market, whose outcomes are home, draw and away; an open one if any.
  const [market] = [...(await markets("?status=open")), ...(await markets(""))].filter(
    (m) => m.kind === "1x2",
  );
  assert.ok(market, "the exchange lists match-result markets");
  const client = await TestClient.connect(`${base.replace(/^http/, "ws")}/ws`, token);
  const answer = (id: string, timeoutMs = 15_000): Promise<Frame> =>
    client.take((f) => f.id === id && f.type !== "agent.accepted" && f.type !== "agent.delta", timeoutMs);

  client.send({ type: "no.such.frame", id: "refused" });
  assert.equal((await answer("refused")).type, "error");
  client.send({
    type: "trade",
    id: "trade",
    marketId: `${market.matchId}.1x2`,
    outcome: "home",
    side: "buy",
    shares: 1,
  });
  assert.match((await answer("trade")).type, /^(trade\.filled|error)$/);
  client.send({ type: "agent.run", id: "run", agent: "leagueStatsAgent", input: "Show me the league table" });
  for (;;) {
    const frame = await answer("run", 30_000);
    if (frame.type === "agent.done" || frame.type === "agent.error") break;
  }
  return { close: () => client.close() };
}
