import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createExchangeClient } from "../services/exchange/client.js";
import { connectNats } from "../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../shared/bus/rpc/nats-rpc.js";
import { type ClientProcess, forkClients } from "./lib/client-processes.js";
import {
  type Deployment,
  parseTraceRatio,
  type ServiceRole,
  startDeployment,
  tracingRecord,
} from "./lib/deployment.js";
import { fetchDevTokens, loadUsers } from "./lib/dev-tokens.js";
import { epochNow } from "./lib/open-loop.js";
import { cpuDelta, natsServerPid, redisServerPid, sampleCpu } from "./lib/proc-cpu.js";
import { resultsDir, writeResults } from "./lib/report.js";
import type { ConnectParams, PhaseParams, TradePath } from "./trades/client.js";
import { type BenchmarkDatabase, openBenchmarkDatabase } from "./trades/database.js";
import { cpuTable, figures, latencyTable, medianRows, type PhaseResult, targets } from "./trades/summary.js";
import { mergeTradeMeasurements, type TradeMeasurements } from "./trades/trade-tracker.js";
import { inventoryTrades, type MarketRef } from "./trades/workload.js";

/**
 * Trades through the distributed deployment (issue 3): open-loop trade arrivals at each offered
 * rate, on 50 markets and then on one hot market, sent three ways from the same client
 * processes: a one-row PostgreSQL transaction on the deployment's database (the baseline), the
 * exchange alone over NATS request/reply, and WebSocket `trade` frames through every gateway.
 * The books are audited after every trade phase. The whole sequence runs `--runs` times on one
 * deployment and the tables report the medians. Prints the tables and writes
 * loadtest/results/trades-<timestamp>.json.
 *
 *   npx tsx loadtest/trades.ts [--rates 250,500,1000] [--hot-rates 150,300] [--duration 5]
 *     [--runs 2] [--users 200] [--clients 2] [--gateways 2] [--exchanges 2] [--paths exchange,gateway]
 *     [--drain 10] [--settle 45] [--warmup 2] [--warmup-rate <highest of --rates>] [--inventory 5] [--env KEY=VALUE]… [--profile exchange|gateway]
 *     [--trace-ratio 0.1]   (tracing on in every service, sampling that share of traces; default off)
 */
const { values: flags } = parseArgs({
  options: {
    rates: { type: "string", default: "250,500,1000" },
    "hot-rates": { type: "string", default: "150,300" },
    duration: { type: "string", default: "5" },
    runs: { type: "string", default: "2" },
    users: { type: "string", default: "200" },
    clients: { type: "string", default: "2" },
    gateways: { type: "string", default: "2" },
    exchanges: { type: "string", default: "2" },
    paths: { type: "string", default: "exchange,gateway" },
    drain: { type: "string", default: "10" },
    settle: { type: "string", default: "45" },
    warmup: { type: "string", default: "2" },
    "warmup-rate": { type: "string" },
    inventory: { type: "string", default: "5" },
    env: { type: "string", multiple: true, default: [] },
    profile: { type: "string" },
    "trace-ratio": { type: "string" },
  },
});
const traceRatio = parseTraceRatio(flags["trace-ratio"]);
const rates = flags.rates.split(",").map(Number);
const hotRates = flags["hot-rates"].split(",").map(Number);
const durationMs = Number(flags.duration) * 1000;
const runs = Number(flags.runs);
const clientCount = Number(flags.clients);
// Every user's arrivals must go through one client (one socket): a multiple of the client count.
const userCount = Math.ceil(Number(flags.users) / clientCount) * clientCount;
const drainMs = Number(flags.drain) * 1000;
const settleMaxMs = Number(flags.settle) * 1000;
const warmupMs = Number(flags.warmup) * 1000;
// At 50/s the optimising compiler had not reached the trade path when a 1000/s phase began: its
// first half second ran at p50 10 ms and p99 65 ms against 4 and 20 after (exchange alone).
const warmupRate = Number(flags["warmup-rate"] ?? Math.max(...rates));
const tradePaths = flags.paths.split(",") as TradePath[];
if (
  [...rates, ...hotRates, warmupRate].some((r) => !(r > 0)) ||
  !(durationMs > 0) ||
  !(runs >= 1) ||
  !(clientCount >= 1) ||
  tradePaths.some((p) => p !== "exchange" && p !== "gateway")
) {
  throw new Error(
    "--rates, --hot-rates and --warmup-rate must be positive, --duration > 0, --runs and --clients >= 1, --paths exchange,gateway",
  );
}
if (flags.profile !== undefined && flags.profile !== "exchange" && flags.profile !== "gateway") {
  throw new Error("--profile must be exchange or gateway");
}
const serviceEnv = Object.fromEntries(
  flags.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const profileDir = `${resultsDir}profiles-${Date.now()}`;
const runTag = randomBytes(3).toString("hex");
/** Connections of each exchange process's pool (createPostgresStore's default); the baseline gets as many. */
const exchangePoolSize = 10;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let deployment: Deployment | undefined;
let clients: ClientProcess[] = [];
let database: BenchmarkDatabase | undefined;
let closeNats: (() => Promise<void>) | undefined;
let cleaning: Promise<void> | undefined;
const cleanUp = () => {
  cleaning ??= (async () => {
    await Promise.all(clients.map((c) => c.close()));
    await database?.close();
    await closeNats?.();
    await deployment?.stop();
  })();
  return cleaning;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the deployment`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** Open markets as soon as an exchange answers: 50 spread over fixtures, and one 1X2 market. */
async function pickMarkets(exchange: ReturnType<typeof createExchangeClient>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const open = (await exchange.listMarkets({ status: "open" })).sort((a, b) =>
        a.marketId < b.marketId ? -1 : 1,
      );
      if (open.length < 50) throw new Error(`only ${open.length} open markets`);
      const refs = open.map((m): MarketRef => ({ id: m.marketId, outcomes: m.outcomes }));
      const step = Math.floor(refs.length / 50);
      const wide = Array.from({ length: 50 }, (_, i) => refs[i * step]!);
      const hot = refs.find((m) => m.outcomes.length === 3) ?? refs[0]!;
      return { wide, hot: [hot] };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await pause(500);
    }
  }
}

async function runPhase(
  path: TradePath | "database",
  tag: string,
  ratePerS: number,
  phaseMs: number,
  markets: MarketRef[],
) {
  const startAt = epochNow() + 300;
  const parts = await Promise.all(
    clients.map((client) =>
      client.call<TradeMeasurements>("phase", {
        path,
        tag,
        ratePerS,
        durationMs: phaseMs,
        startAt,
        share: { index: client.index, of: clients.length },
        drainMs,
        markets,
      } satisfies PhaseParams),
    ),
  );
  return { measurements: mergeTradeMeasurements(parts), startAt };
}

/** Every process whose CPU a phase is charged with; the database's backends are summed as one. */
async function watchedProcesses() {
  const pids = await database!.backendPids();
  return [
    ...deployment!.processes(),
    ...clients.map((c) => ({ name: `client-${c.index + 1}`, pid: c.pid })),
    { name: "nats-server", pid: natsServerPid(deployment!.natsUrl) },
    // The limiter's and the read cache's Redis: every trade through a gateway costs it work too.
    { name: "redis-server", pid: redisServerPid(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") },
    ...pids.map((pid) => ({ name: `postgres:${pid}`, pid })),
  ];
}

/**
 * Waits until the services are idle (together under 10 % of a core over half a second), at most
 * `maxMs`, and returns how long that took. An overloaded phase leaves requests queued in the
 * exchanges that their callers gave up on; without this they would run in the next phase.
 */
async function settle(maxMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    const before = sampleCpu(deployment!.processes());
    await pause(500);
    const busy = Object.values(cpuDelta(before, sampleCpu(deployment!.processes()))).reduce(
      (a, b) => a + b,
      0,
    );
    if (busy < 50) break;
  }
  return Date.now() - start;
}

function foldPostgres(cpu: Record<string, number>): Record<string, number> {
  const folded: Record<string, number> = { postgres: 0 };
  for (const [name, ms] of Object.entries(cpu)) {
    if (!name.startsWith("postgres:")) folded[name] = ms;
    // A backend that ended during the phase has no reading: its share is lost, not counted as NaN.
    else if (Number.isFinite(ms)) folded.postgres! += ms;
  }
  return folded;
}

try {
  const exchangeCount = Number(flags.exchanges);
  const gatewayCount = Number(flags.gateways);
  console.error(`starting ${gatewayCount} gateways, ${exchangeCount} exchanges…`);
  deployment = await startDeployment({
    gateways: gatewayCount,
    workers: 0,
    exchanges: exchangeCount,
    env: serviceEnv,
    ...(traceRatio === undefined ? {} : { traceRatio }),
    ...(flags.profile === undefined
      ? {}
      : { nodeArgs: { [flags.profile as ServiceRole]: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } }),
  });
  database = openBenchmarkDatabase(deployment.databaseUrl);
  const nc = await connectNats({ natsUrl: deployment.natsUrl }, "loadtest-trades");
  closeNats = () => nc.close();
  const exchange = createExchangeClient(createNatsRpc(nc, { subjectPrefix: deployment.subjectPrefix }));
  const markets = await pickMarkets(exchange);
  await database.createBaselineTable(markets.wide.length);

  const users = loadUsers(userCount, `lt-trader-${runTag}`, 1);
  const tokens = await fetchDevTokens(deployment.gatewayUrls[0]!, users);
  const inventory = Number(flags.inventory);
  for (const set of [markets.wide, markets.hot]) {
    const trades = inventoryTrades(users.length, set, inventory);
    for (let i = 0; i < trades.length; i += 20) {
      await Promise.all(
        trades.slice(i, i + 20).map((t) =>
          exchange.trade({
            userId: users[t.user]!.userId,
            marketId: t.marketId,
            outcome: t.outcome,
            side: "buy",
            shares: t.shares,
            idempotencyKey: `inventory-${set.length}-${t.user}`,
          }),
        ),
      );
    }
  }

  clients = forkClients(fileURLToPath(new URL("./trades/client.ts", import.meta.url)), clientCount);
  await Promise.all(
    clients.map((client) =>
      client.call("connect", {
        natsUrl: deployment!.natsUrl,
        subjectPrefix: deployment!.subjectPrefix,
        databaseUrl: deployment!.databaseUrl,
        gatewayUrls: [...deployment!.gatewayUrls],
        users: users.map((u, i) => ({ userId: u.userId, token: tokens[i]! })),
        share: { index: client.index, of: clientCount },
        databaseConnections: exchangePoolSize,
      } satisfies ConnectParams),
    ),
  );
  console.error(
    `${users.length} pro users (one socket each over ${gatewayCount} gateways) on ${clientCount} client processes`,
  );

  // Warm-up (not reported): JIT at the load measured, connection pools, prepared statements, every path.
  if (warmupMs > 0) {
    for (const path of ["database", ...tradePaths] as const) {
      const warm = await runPhase(path, `${runTag}-warm-${path}`, warmupRate, warmupMs, markets.wide);
      if (warm.measurements.filled === 0)
        throw new Error(`warm-up on ${path}: nothing filled; see the service logs`);
    }
  }

  const sets = [
    { set: "50 markets", markets: markets.wide, rates },
    { set: "hot market", markets: markets.hot, rates: hotRates },
  ];
  const results: PhaseResult[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const { set, markets: setMarkets, rates: setRates } of sets) {
      for (const rate of setRates) {
        for (const path of ["database", ...tradePaths] as const) {
          await pause(500);
          const watched = await watchedProcesses();
          const before = sampleCpu(watched);
          const tag = `${runTag}-${run}-${setMarkets.length}-${rate}-${path}`;
          const phase = await runPhase(path, tag, rate, durationMs, setMarkets);
          const cpuMs = foldPostgres(cpuDelta(before, sampleCpu(watched)));
          const f = figures(phase.measurements, phase.startAt, durationMs);
          const settleMs = await settle(settleMaxMs);
          const audit = path === "database" ? undefined : await database.audit();
          const result: PhaseResult = {
            run,
            set,
            path,
            offeredPerS: rate,
            figures: f,
            cpuMs,
            cpuMsPerTrade: Object.fromEntries(
              Object.entries(cpuMs).map(([name, ms]) => [name, ms / Math.max(1, f.filled)]),
            ),
            ...(audit === undefined ? {} : { violations: audit.violations }),
            settleMs,
            loadavg: loadavg(),
          };
          results.push(result);
          const exits = deployment.unexpectedExits();
          console.error(
            `run ${run} ${set} ${rate}/s ${path}: ${f.filledPerS.toFixed(0)} filled/s, p50 ${f.latencyMs.p50.toFixed(1)} ` +
              `p99 ${f.latencyMs.p99.toFixed(1)} ms, rejected ${JSON.stringify(f.rejected)}, unanswered ${f.incomplete}` +
              `${audit === undefined ? "" : `, violations ${audit.violations}`}, idle after ${(settleMs / 1000).toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}` +
              `${exits.length > 0 ? `, EXITED: ${exits.join(", ")}` : ""}`,
          );
          if (audit !== undefined && audit.violations > 0) console.error(JSON.stringify(audit.books));
        }
      }
    }
  }

  const rows = medianRows(results);
  const violations = results.reduce((a, r) => a + (r.violations ?? 0), 0);
  const checks = targets(rows);
  console.log(
    `\ntrades, ${gatewayCount} gateways + ${exchangeCount} exchanges, ${users.length} pro users, ` +
      `${durationMs / 1000} s per phase, median of ${runs} run(s); latency ms from scheduled send; ` +
      `ratio = latency / the baseline's at the same rate and set\n`,
  );
  console.log(latencyTable(rows));
  console.log("\nCPU ms per filled trade (or baseline transaction), by process, medians:\n");
  console.log(cpuTable(rows));
  console.log(
    `\ninvariant violations after ${results.filter((r) => r.violations !== undefined).length} trade phases: ${violations}`,
  );
  for (const c of checks)
    console.log(
      `target ${c.name}: ${c.met === undefined ? "not measured" : c.met ? "met" : "MISSED"} (${c.detail})`,
    );
  const path = await writeResults("trades", {
    benchmark: "trades",
    command: `npx tsx loadtest/trades.ts ${process.argv.slice(2).join(" ")}`.trim(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    setup: {
      gateways: gatewayCount,
      exchanges: exchangeCount,
      users: users.length,
      clients: clientCount,
      durationMs,
      drainMs,
      runs,
      inventory,
      markets: { wide: markets.wide.map((m) => m.id), hot: markets.hot[0]!.id },
      serviceEnv,
      ...(flags.profile === undefined ? {} : { profiled: flags.profile, profileDir }),
      tracing: tracingRecord(deployment),
    },
    violations,
    targets: checks,
    medians: rows,
    phases: results,
  });
  if (deployment.tracing !== undefined)
    console.log(`tracing at ratio ${traceRatio}: ${deployment.tracing.spans()} spans received`);
  console.log(`\nwrote ${path}`);
} finally {
  await cleanUp();
}
