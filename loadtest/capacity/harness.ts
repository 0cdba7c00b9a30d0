import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createExchangeClient } from "../../services/exchange/client.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { mergeMeasurements } from "../agent-runs/run-tracker.js";
import { type ClientProcess, forkClients } from "../lib/client-processes.js";
import { type Deployment, startDeployment } from "../lib/deployment.js";
import { fetchDevTokens, loadUsers } from "../lib/dev-tokens.js";
import { epochNow } from "../lib/open-loop.js";
import { natsServerPid, redisServerPid } from "../lib/proc-cpu.js";
import { type Summary, summarize } from "../lib/stats.js";
import { mergeTradeMeasurements } from "../trades/trade-tracker.js";
import type { Fixture, StepParams, StepSamples } from "./client.js";
import {
  byKind,
  kindOfService,
  type ProcessUsage,
  startWindow,
  type WatchedProcess,
} from "./process-usage.js";
import { brokenObjectives, rampOver, type StepOutcome } from "./slo.js";
import { type ActionKind, actionRates, agentCycle, type CapacityUserModel } from "./user-model.js";

export interface CapacityOptions {
  model: CapacityUserModel;
  /** Users (sockets) of each step, ascending; the ramp stops after two steps in a row break an objective. */
  steps: readonly number[];
  /** One user-hour lasts 3600 / compression seconds; the feed's matches run at the same speed. */
  compression: number;
  stepMs: number;
  drainMs: number;
  graceMs: number;
  clients: number;
  gateways: number;
  workers: number;
  exchanges: number;
  /** Matches that must be live before the first step. */
  liveMatches: number;
  /** Extra environment of every service (`--env`). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface StepResult {
  users: number;
  sockets: number;
  liveMatches: number;
  /** Per second, per action: offered at the compressed rate. */
  offeredPerS: Record<ActionKind, number>;
  /** Per second: trades filled, quotes answered, runs completed, reconnects done, live events received. */
  achievedPerS: { trades: number; quotes: number; runs: number; reconnects: number; liveEvents: number };
  tradeMs: Summary;
  quoteMs: Summary;
  firstDeltaMs: Summary;
  runMs: Summary;
  liveDeliveryMs: Summary;
  resumeMs: Summary;
  outcome: StepOutcome;
  /** Trade answers by code beside the fills (market refusals are answers, not losses). */
  tradeRejections: Record<string, number>;
  runErrors: Record<string, number>;
  live: { gaps: number; conflated: number; outOfOrder: number; closes: Record<string, number> };
  reconnects: { offered: number; done: number; skippedBusy: number; notRecovered: number };
  usage: { runs: number; inputTokens: number; outputTokens: number };
  broken: string[];
  processes: ProcessUsage[];
  kinds: Record<string, { cores: number; rssBytes: number; processes: number }>;
  loadavg: number;
}

/** Trade answers that are the market's, not a fault: the user sees a price or a closed market. */
const marketRefusals = new Set(["market_closed", "price_moved", "insufficient_funds"]);

/**
 * The mixed-workload capacity test (docs/capacity.md, "Users per server"): a distributed deployment
 * of its own with a market feed playing a round of ten matches at the compressed clock, and client
 * processes that add users step by step — each user one socket doing the user model's actions at
 * the compressed rates — until a step breaks an objective (slo.ts). Per step: achieved rates, the
 * objectives' percentiles, and CPU and RSS of every process by kind.
 */
export async function runCapacity(
  options: CapacityOptions,
): Promise<{ steps: StepResult[]; deployment: { gateways: number; workers: number; exchanges: number } }> {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  const mark = (what: string) => log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const f = options.compression;
  let deployment: Deployment | undefined;
  let clients: ClientProcess[] = [];
  let sql: postgres.Sql | undefined;
  let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
  try {
    deployment = await startDeployment({
      gateways: options.gateways,
      workers: options.workers,
      exchanges: options.exchanges,
      env: options.env,
    });
    mark("deployment up");
    const gateway = deployment.gatewayUrls[0]!;
    deployment.startService("market-feed", "feed-1", {
      // A 90-minute match in 90 × 60 / compression s; rounds back to back.
      FEED_MATCH_DURATION_MS: String(Math.round((90 * 60_000) / f)),
      FEED_ROUND_GAP_MS: "0",
      FEED_GOAL_SUSPEND_MS: String(Math.max(0, Math.round(120_000 / f))),
    });
    nc = await connectNats({ natsUrl: deployment.natsUrl }, "loadtest-capacity");
    const exchange = createExchangeClient(createNatsRpc(nc, { subjectPrefix: deployment.subjectPrefix }));
    sql = postgres(deployment.databaseUrl, { max: 1, onnotice: () => {} });
    const database = new URL(deployment.databaseUrl).pathname.slice(1);

    const liveNow = async () => {
      const response = await fetch(`${gateway}/api/matches?status=live`);
      const { matches } = (await response.json()) as {
        matches: { matchId: string; home: string; away: string }[];
      };
      return matches;
    };
    const waitStart = Date.now();
    while ((await liveNow()).length < options.liveMatches) {
      if (Date.now() - waitStart > 60_000)
        throw new Error(`fewer than ${options.liveMatches} matches live after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }

    mark("matches live");
    clients = forkClients(fileURLToPath(new URL("./client.ts", import.meta.url)), options.clients);
    await Promise.all(
      clients.map((c) =>
        c.call("follow", {
          natsUrl: deployment!.natsUrl,
          streamPrefix: deployment!.prefix,
          subjectPrefix: deployment!.subjectPrefix,
        }),
      ),
    );
    mark("clients following");
    const backends = async () =>
      (await sql!`SELECT pid FROM pg_stat_activity WHERE datname = ${database}`).map((r) => Number(r.pid));
    let postgresPids: number[] = [];
    const watched = (): WatchedProcess[] => [
      ...deployment!.processes().map((p) => ({ ...p, kind: kindOfService(p.name) })),
      { name: "nats-server", pid: natsServerPid(deployment!.natsUrl), kind: "nats-server" },
      {
        name: "redis-server",
        pid: redisServerPid(process.env.REDIS_URL ?? "redis://127.0.0.1:6379"),
        kind: "redis",
      },
      ...postgresPids.map((pid) => ({ name: `postgres-${pid}`, pid, kind: "postgres" as const })),
      ...clients.map((c) => ({ name: `client-${c.index + 1}`, pid: c.pid, kind: "load-client" as const })),
    ];

    const agents = agentCycle(options.model);
    const users = loadUsers(options.steps.at(-1)!, `cap-${deployment.prefix.slice(3, 11)}`);
    const steps: StepResult[] = [];
    let opened = 0;
    for (const [n, target] of options.steps.entries()) {
      const live = await liveNow();
      const liveIds = new Set(live.map((m) => m.matchId));
      const markets = (await exchange.listMarkets({ status: "open" }))
        .filter((m) => liveIds.has(m.matchId))
        .map((m) => ({ id: m.marketId, outcomes: m.outcomes }));
      if (markets.length === 0) throw new Error("no open market in a live match");
      const fixtures: Fixture[] = live.map((m) => ({ matchId: m.matchId, name: `${m.home} v ${m.away}` }));

      // New users: tokens in batches, then one socket each on the client g % clients.
      const fresh = users.slice(opened, target);
      const tokens: string[] = [];
      for (let i = 0; i < fresh.length; i += 200)
        tokens.push(...(await fetchDevTokens(gateway, fresh.slice(i, i + 200))));
      const byClient = clients.map(() => [] as { index: number; token: string; markets: string[] }[]);
      fresh.forEach((_, i) => {
        const g = opened + i;
        const mine = Array.from(
          { length: options.model.marketsPerSocket },
          (_, k) => markets[(g + k * 7) % markets.length]!.id,
        );
        byClient[g % clients.length]!.push({ index: g, token: tokens[i]!, markets: mine });
      });
      const openedNow = await Promise.all(
        clients.map((c, i) =>
          c.call<{ sockets: number; errors: Record<string, number> }>("open", {
            urls: deployment!.gatewayUrls,
            users: byClient[i],
            concurrency: 50,
          }),
        ),
      );
      opened = target;
      const openErrors = openedNow.flatMap((o) => Object.entries(o.errors));
      if (openErrors.length > 0)
        log(`step ${n + 1}: sockets refused ${JSON.stringify(Object.fromEntries(openErrors))}`);
      mark("sockets open");
      postgresPids = await backends();

      const rates = actionRates(options.model, target, f);
      const startAt = epochNow() + 500;
      const params = (index: number): StepParams => ({
        tag: `s${n}`,
        rates,
        durationMs: options.stepMs,
        startAt,
        share: { index, of: clients.length },
        drainMs: options.drainMs,
        markets,
        fixtures,
        agents,
        graceMs: options.graceMs,
      });
      const running = Promise.all(clients.map((c, i) => c.call<StepSamples>("step", params(i))));
      await new Promise((r) => setTimeout(r, startAt - epochNow()));
      const window = startWindow(watched);
      await new Promise((r) => setTimeout(r, options.stepMs));
      const processes = window.end();
      const samples = await running;
      mark("step done");
      const step = summarizeStep(target, samples, rates, options.stepMs, live.length, processes);
      steps.push(step);
      log(stepLine(n + 1, step));
      const exits = deployment.unexpectedExits();
      if (exits.length > 0) throw new Error(`services exited: ${exits.join(", ")}`);
      if (rampOver(steps)) break;
    }
    return {
      steps,
      deployment: { gateways: options.gateways, workers: options.workers, exchanges: options.exchanges },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await sql?.end({ timeout: 2 });
    await nc?.close();
    await deployment?.stop();
  }
}

function summarizeStep(
  users: number,
  samples: readonly StepSamples[],
  rates: Record<ActionKind, number>,
  stepMs: number,
  liveMatches: number,
  processes: ProcessUsage[],
): StepResult {
  const trades = mergeTradeMeasurements(samples.map((s) => s.trades));
  const quotes = mergeTradeMeasurements(samples.map((s) => s.quotes));
  const runs = mergeMeasurements(samples.map((s) => s.runs));
  const sum = (pick: (s: StepSamples) => number) => samples.reduce((a, s) => a + pick(s), 0);
  const merge = (pick: (s: StepSamples) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of samples) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const tradeRejections = { ...trades.rejected };
  const tradeFaults = Object.entries(tradeRejections)
    .filter(([code]) => !marketRefusals.has(code))
    .reduce((a, [, n]) => a + n, 0);
  const live = {
    gaps: sum((s) => s.live.gaps),
    conflated: sum((s) => s.live.conflated),
    outOfOrder: sum((s) => s.live.outOfOrder),
    closes: merge((s) => s.live.closes),
  };
  const closed = Object.values(live.closes).reduce((a, b) => a + b, 0);
  const liveLatency = Float64Array.from(samples.flatMap((s) => Array.from(s.live.latencyMs)));
  const reconnects = {
    offered: sum((s) => s.reconnects.offered),
    done: sum((s) => s.reconnects.done),
    skippedBusy: sum((s) => s.reconnects.skippedBusy),
    notRecovered: sum((s) => s.reconnects.notRecovered),
  };
  const tradeMs = summarize(trades.filledMs);
  const firstDeltaMs = summarize(runs.firstDeltaMs);
  const liveDeliveryMs = summarize(Array.from(liveLatency));
  const outcome: StepOutcome = {
    firstDeltaP99Ms: firstDeltaMs.p99,
    tradeP99Ms: tradeMs.p99,
    liveDeliveryP99Ms: liveDeliveryMs.p99,
    tradesLost: trades.incomplete + tradeFaults,
    runsLost: runs.offered - runs.completed,
    liveGaps: live.gaps + live.outOfOrder + closed,
    resumesNotRecovered: reconnects.notRecovered,
  };
  const perS = (n: number) => n / (stepMs / 1000);
  return {
    users,
    sockets: sum((s) => s.sockets),
    liveMatches,
    offeredPerS: rates,
    achievedPerS: {
      trades: perS(trades.filled),
      quotes: perS(quotes.filled),
      runs: perS(runs.completed),
      reconnects: perS(reconnects.done),
      liveEvents: perS(sum((s) => s.live.received)),
    },
    tradeMs,
    quoteMs: summarize(quotes.filledMs),
    firstDeltaMs,
    runMs: summarize(runs.doneMs),
    liveDeliveryMs,
    resumeMs: summarize(samples.flatMap((s) => s.reconnects.resumedMs)),
    outcome,
    tradeRejections,
    runErrors: { ...runs.errors, ...(runs.incomplete > 0 ? { incomplete: runs.incomplete } : {}) },
    live,
    reconnects,
    usage: {
      runs: sum((s) => s.usage.runs),
      inputTokens: sum((s) => s.usage.inputTokens),
      outputTokens: sum((s) => s.usage.outputTokens),
    },
    broken: brokenObjectives(outcome),
    processes,
    kinds: byKind(processes),
    loadavg: loadavg()[0]!,
  };
}

function stepLine(n: number, s: StepResult): string {
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : "–");
  const cores = Object.entries(s.kinds)
    .map(([k, v]) => `${k} ${v.cores.toFixed(2)}`)
    .join(", ");
  return (
    `step ${n}: ${s.users} users, ${s.liveMatches} live; runs ${s.achievedPerS.runs.toFixed(1)}/s first delta p99 ${ms(s.firstDeltaMs.p99)} ms; ` +
    `trades ${s.achievedPerS.trades.toFixed(1)}/s p99 ${ms(s.tradeMs.p99)} ms; live ${s.achievedPerS.liveEvents.toFixed(0)}/s p99 ${ms(s.liveDeliveryMs.p99)} ms; ` +
    `gaps ${s.live.gaps}, resumes not recovered ${s.reconnects.notRecovered}; cores: ${cores}; ` +
    `${s.broken.length === 0 ? "held" : `BROKE ${s.broken.join(", ")}`}`
  );
}
