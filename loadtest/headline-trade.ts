import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { Queue } from "bullmq";
import { createExchangeClient } from "../services/exchange/client.js";
import { connectNats } from "../shared/bus/nats/nats-connection.js";
import { createNatsRpc } from "../shared/bus/rpc/nats-rpc.js";
import { loadDataset } from "../shared/epl/dataset.js";
import { freePort } from "../test/support/service-process.js";
import type { LoadParams, LoadResult } from "./headline-trade/client.js";
import { cpuOf, describeReach, naiveAgentName, reachOfTarget } from "./headline-trade/reach.js";
import { headlineFixtures, refusalOpening, refusedRunInput } from "./headline-trade/workload.js";
import { type ClientProcess, forkClients } from "./lib/client-processes.js";
import { type Deployment, type ServiceRole, startDeployment } from "./lib/deployment.js";
import { fetchDevTokens } from "./lib/dev-tokens.js";
import { epochNow } from "./lib/open-loop.js";
import { cpuDelta, natsServerPid, redisServerPid, sampleCpu } from "./lib/proc-cpu.js";
import { formatMs, formatTable, resultsDir, writeResults } from "./lib/report.js";
import { median, ratio, summarize } from "./lib/stats.js";

/**
 * The headline request, `POST /api/epl/trade`, under one closed-loop HTTP load (as autocannon
 * drives it: `--connections` keep-alive sockets, each sending its next request when the previous
 * answer is read) against four servers in one run:
 *   naive — the plan's design: Express → BullMQ (Redis, a queue of this run) → one shared agent
 *           that does no work and answers a fixed trade result (compiled, its own processes);
 *   naive-work — the same design whose one shared agent does ours' work: the trading agent with its
 *           tools in process, on the offline model (not a target: the same job on both designs);
 *   early — ours: a distributed deployment (gateways, agent workers, an exchange; load on the
 *           first gateway), the trading agent with its tools on the offline model, zero token delay;
 *   floor — ours, the same deployment and the same whole run path (token, limits, the run queue,
 *           a worker, the output stream, the JSON answer), for a run the trading agent refuses
 *           before any model or tool work (`POST /api/agents/eplTradingAgent/runs` asking it to
 *           trade for a friend): what the platform itself costs a request, against a naive agent
 *           that also does no work;
 *   after — the same deployment, after a market feed played at least `--rounds` rounds fast on its
 *           database and NATS (and was stopped, so it costs nothing while measured).
 * Each phase is measured `--runs` times (interleaved); the table gives medians. Prints the table
 * and writes loadtest/results/headline-trade-<timestamp>.json.
 *
 *   npx tsx loadtest/headline-trade.ts [--connections 50] [--duration 15] [--warmup 5] [--runs 1]
 *     [--gateways 1] [--workers 2] [--exchanges 1] [--clients 2] [--rounds 3] [--min-live-events 7500]
 *     [--naive-work-agents 1] [--env KEY=VALUE]… [--profile agent-worker,gateway,exchange]
 */
const { values: flags } = parseArgs({
  options: {
    connections: { type: "string", default: "50" },
    duration: { type: "string", default: "15" },
    warmup: { type: "string", default: "5" },
    runs: { type: "string", default: "1" },
    gateways: { type: "string", default: "1" },
    workers: { type: "string", default: "2" },
    exchanges: { type: "string", default: "1" },
    clients: { type: "string", default: "2" },
    "naive-work-agents": { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    "min-live-events": { type: "string", default: "7500" },
    env: { type: "string", multiple: true, default: [] },
    profile: { type: "string" },
  },
});
const connections = Number(flags.connections);
const durationMs = Number(flags.duration) * 1000;
const warmupMs = Number(flags.warmup) * 1000;
const runs = Number(flags.runs);
const clientCount = Number(flags.clients);
const rounds = Number(flags.rounds);
const minLiveEvents = Number(flags["min-live-events"]);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const runTag = randomBytes(3).toString("hex");
const queueName = `lt-headline-${runTag}`;
const workQueueName = `${queueName}-work`;
const profileDir = `${resultsDir}profiles-${Date.now()}`;
const serviceEnv: Record<string, string> = {
  // One user per connection sends hundreds of runs a minute: the per-user limits would answer
  // most with 429, and the benchmark measures the request, not the limiter (which still runs).
  AGENT_RUNS_PER_MINUTE_PRO: "1000000",
  AGENT_CONCURRENT_PRO: "1000",
  HTTP_REQUESTS_PER_MINUTE_USER: "1000000",
  ...Object.fromEntries(flags.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
};
const feedEnv = { FEED_MATCH_DURATION_MS: "2000", FEED_ROUND_GAP_MS: "0", FEED_GOAL_SUSPEND_MS: "0" };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const repoRoot = fileURLToPath(new URL("../", import.meta.url));

type Design = "naive" | "naive-work" | "early" | "floor" | "after";
interface PhaseResult {
  run: number;
  design: Design;
  requests: number;
  perS: number;
  latencyMs: ReturnType<typeof summarize>;
  failures: Record<string, number>;
  failureSample?: string;
  cpuMs: Record<string, number>;
  liveEvents?: number;
  loadavg: number[];
}

let deployment: Deployment | undefined;
const naive: ChildProcess[] = [];
let clients: ClientProcess[] = [];
let closeNats: (() => Promise<void>) | undefined;
let cleaning: Promise<void> | undefined;
const cleanUp = () => {
  cleaning ??= (async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const child of naive) child.kill("SIGTERM");
    for (const name of [queueName, workQueueName]) {
      const queue = new Queue(name, { connection: { url: redisUrl } });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
    await closeNats?.();
    await deployment?.stop();
  })();
  return cleaning;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/**
 * The naive design's programs compiled to plain JavaScript beside ours in dist/ (as ours run): the
 * agent that does ours' work imports ours' compiled modules from there, so this runs once
 * `startDeployment` has built them.
 */
function compileNaive(): { server: string; agent: string; tradingAgent: string } {
  const esbuild = `${repoRoot}node_modules/.bin/esbuild`;
  const out = `${repoRoot}dist/loadtest/headline-trade`;
  for (const name of ["naive-server", "naive-agent", "naive-trading-agent", "in-process-agent"]) {
    execFileSync(esbuild, [
      `${repoRoot}loadtest/headline-trade/${name}.ts`,
      "--format=esm",
      "--platform=node",
      `--outfile=${out}/${name}.js`,
      "--log-level=warning",
    ]);
  }
  return {
    server: `${out}/naive-server.js`,
    agent: `${out}/naive-agent.js`,
    tradingAgent: `${out}/naive-trading-agent.js`,
  };
}

function startNaive(path: string, args: string[], readyMessage: string): Promise<ChildProcess> {
  // No `execArgv`: a fork would inherit this process's TypeScript loader, whose hooks the
  // compiled programs do not need and the services run without (lib/deployment.ts).
  const child = fork(path, args, { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  naive.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${path} exited (${code})`)));
    child.on("message", (m) => m === readyMessage && resolve(child));
  });
}

/** The parts of a finished run's JSON answer the checks before the phases read. */
interface Answer {
  text?: string;
  stopReason?: string;
  toolCalls?: { name: string }[];
}

/** What one connection of a phase sends, asked once before the phases to check its answer. */
async function ask(
  url: string,
  conn: { token?: string; body: unknown },
): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${conn.token}` },
    body: JSON.stringify(conn.body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

/**
 * The floor phase measures the platform only if its runs really do no agent work: one request
 * first, which must come back as the agent's refusal with no tool called.
 */
async function refusedAtOnce(url: string, conn: { token?: string; body: unknown }): Promise<void> {
  const { status, answer } = await ask(url, conn);
  if (status !== 200 || !answer.text?.startsWith(refusalOpening) || answer.toolCalls?.length !== 0) {
    throw new Error(
      `floor: the run was not refused at once (${status} ${JSON.stringify(answer).slice(0, 200)})`,
    );
  }
}

/**
 * The naive design doing ours' work is a like-for-like baseline only if its agent does the same
 * work: one fixture asked of both, whose answers must end the same way after the same tool calls.
 */
async function sameWork(oursUrl: string, naiveWorkUrl: string, conn: { token?: string; body: unknown }) {
  const outcome = async (url: string) => {
    const { status, answer } = await ask(url, conn);
    return `${status} ${answer.stopReason} ${answer.toolCalls?.map((c) => c.name).join(",")}`;
  };
  const [ours, naiveWork] = [await outcome(oursUrl), await outcome(naiveWorkUrl)];
  if (ours !== naiveWork || !ours.startsWith("200 end_turn findMarkets")) {
    throw new Error(`naive-work: not the same work as ours (ours ${ours}; naive-work ${naiveWork})`);
  }
}

/** Where a phase sends its load, with what, and whose CPU it counts. */
interface Target {
  url: string;
  path: string;
  conns: LoadParams["connections"];
  watched(): { name: string; pid: number | undefined }[];
}

async function phase(run: number, design: Design, target: Target, ms = durationMs): Promise<PhaseResult> {
  const { url, path, conns } = target;
  const watched = target.watched();
  const startAt = epochNow() + 300;
  const before = sampleCpu(watched);
  const parts = await Promise.all(
    clients.map((client) =>
      client.call<LoadResult>("load", {
        url,
        path,
        connections: conns.filter((_, i) => i % clients.length === client.index),
        durationMs: ms,
        startAt,
      } satisfies LoadParams),
    ),
  );
  const cpuMs = cpuDelta(before, sampleCpu(watched));
  const latencies = parts.flatMap((p) => p.latenciesMs);
  const failures: Record<string, number> = {};
  for (const p of parts)
    for (const [k, n] of Object.entries(p.failures)) failures[k] = (failures[k] ?? 0) + n;
  const sample = parts.find((p) => p.failureSample)?.failureSample;
  return {
    run,
    design,
    requests: latencies.length,
    perS: latencies.length / (ms / 1000),
    latencyMs: summarize(latencies),
    failures,
    ...(sample === undefined ? {} : { failureSample: sample }),
    cpuMs,
    loadavg: loadavg(),
  };
}

try {
  console.error(
    `starting ${flags.gateways} gateway(s), ${flags.workers} workers, ${flags.exchanges} exchange(s)…`,
  );
  deployment = await startDeployment({
    gateways: Number(flags.gateways),
    workers: Number(flags.workers),
    exchanges: Number(flags.exchanges),
    env: serviceEnv,
    ...(flags.profile === undefined
      ? {}
      : {
          nodeArgs: Object.fromEntries(
            flags.profile
              .split(",")
              .map((role) => [role as ServiceRole, ["--cpu-prof", `--cpu-prof-dir=${profileDir}/${role}`]]),
          ),
        }),
  });
  // The naive design: its server and its one agent, on a queue of this run (after the deployment,
  // whose start compiled the dist/ that the agent doing ours' work imports).
  const naivePort = await freePort();
  const compiled = compileNaive();
  const naiveAgent = await startNaive(compiled.agent, [redisUrl, queueName, String(connections)], "ready");
  const naiveServer = await startNaive(
    compiled.server,
    [String(naivePort), redisUrl, queueName],
    "listening",
  );
  const naiveUrl = `http://127.0.0.1:${naivePort}`;
  const workPort = await freePort();
  // The plan draws one shared agent; `--naive-work-agents 2` gives that design both cores too.
  const naiveTradingAgents = await Promise.all(
    Array.from({ length: Number(flags["naive-work-agents"]) }, () =>
      startNaive(compiled.tradingAgent, [redisUrl, workQueueName, String(connections)], "ready"),
    ),
  );
  const naiveWorkServer = await startNaive(
    compiled.server,
    [String(workPort), redisUrl, workQueueName],
    "listening",
  );

  const nc = await connectNats({ natsUrl: deployment.natsUrl }, "loadtest-headline");
  closeNats = () => nc.close();
  const exchange = createExchangeClient(createNatsRpc(nc, { subjectPrefix: deployment.subjectPrefix }));
  const jsm = await jetstreamManager(nc);
  const liveEvents = async () => (await jsm.streams.info(`${deployment!.prefix}LIVE`)).state.messages;

  // One pro user per connection, each asking about one of the next fixtures to be played.
  const fixtures = headlineFixtures(loadDataset());
  const users = Array.from({ length: connections }, (_, i) => ({
    userId: `lt-headline-${runTag}-${i}`,
    tier: "pro" as const,
  }));
  const tokens = await fetchDevTokens(deployment.gatewayUrls[0]!, users);
  const oursConns = users.map((_, i) => ({ token: tokens[i]!, body: fixtures[i % fixtures.length]! }));
  const floorConns = oursConns.map(({ token, body }) => ({ token, body: { input: refusedRunInput(body) } }));
  const naiveConns = oursConns.map(({ body }) => ({ body }));

  clients = forkClients(fileURLToPath(new URL("./headline-trade/client.ts", import.meta.url)), clientCount);
  const shared = () => [
    ...clients.map((c) => ({ name: `client-${c.index + 1}`, pid: c.pid })),
    { name: "redis-server", pid: redisServerPid(redisUrl) },
  ];
  const naiveWatched = () => [
    { name: "express", pid: naiveServer.pid },
    { name: naiveAgentName(0), pid: naiveAgent.pid },
    ...shared(),
  ];
  const naiveWorkWatched = () => [
    { name: "express", pid: naiveWorkServer.pid },
    ...naiveTradingAgents.map((agent, i) => ({ name: naiveAgentName(i), pid: agent.pid })),
    ...shared(),
  ];
  const oursWatched = () => [
    ...deployment!.processes(),
    { name: "nats-server", pid: natsServerPid(deployment!.natsUrl) },
    ...shared(),
  ];
  const report = (r: PhaseResult) =>
    console.error(
      `run ${r.run} ${r.design}: ${r.perS.toFixed(0)} req/s, p50 ${formatMs(r.latencyMs.p50)} p99 ${formatMs(r.latencyMs.p99)} ms, ` +
        `failures ${JSON.stringify(r.failures)}${r.failureSample ? ` (${r.failureSample})` : ""}` +
        `${r.liveEvents === undefined ? "" : `, LIVE ${r.liveEvents} events`}, load ${loadavg()[0]!.toFixed(1)}`,
    );

  const gatewayUrl = deployment.gatewayUrls[0]!;
  const tradePath = "/api/epl/trade";
  const ours: Target = { url: gatewayUrl, path: tradePath, conns: oursConns, watched: oursWatched };
  const targets: Record<Design, Target> = {
    naive: { url: naiveUrl, path: tradePath, conns: naiveConns, watched: naiveWatched },
    "naive-work": {
      url: `http://127.0.0.1:${workPort}`,
      path: tradePath,
      conns: naiveConns,
      watched: naiveWorkWatched,
    },
    early: ours,
    floor: { ...ours, path: "/api/agents/eplTradingAgent/runs", conns: floorConns },
    after: ours,
  };

  // Warm-up (not reported): JIT, pools, caches of both designs.
  if (warmupMs > 0) {
    await phase(0, "naive", targets.naive, warmupMs);
    await phase(0, "naive-work", targets["naive-work"], warmupMs);
    const warm = await phase(0, "early", targets.early, warmupMs);
    if (warm.requests === 0) throw new Error(`warm-up: no answer from ours (${warm.failureSample})`);
  }

  const results: PhaseResult[] = [];
  const measure = async (run: number, design: Design) => {
    await pause(500);
    const r = await phase(run, design, targets[design]);
    if (design !== "naive") r.liveEvents = await liveEvents();
    results.push(r);
    report(r);
  };
  await refusedAtOnce(gatewayUrl + targets.floor.path, floorConns[0]!);
  await sameWork(gatewayUrl + tradePath, targets["naive-work"].url + tradePath, oursConns[0]!);
  for (let run = 1; run <= runs; run++) {
    await measure(run, "naive");
    await measure(run, "early");
    await measure(run, "floor");
    await measure(run, "naive-work");
  }

  // A round day: the feed plays fast until `rounds` rounds are settled and LIVE holds the history.
  console.error(`feed playing ${rounds} rounds…`);
  const feedStart = Date.now();
  deployment.startService("market-feed", "feed-1", feedEnv);
  const matchesSettled = async () =>
    (await exchange.listMarkets({ status: "settled" })).filter((m) => m.kind === "1x2").length;
  const settledBefore = await matchesSettled();
  for (;;) {
    await pause(1000);
    const [settled, events] = [await matchesSettled(), await liveEvents()];
    if (settled - settledBefore >= rounds * 10 && events >= minLiveEvents) break;
    if (Date.now() - feedStart > 180_000)
      throw new Error(`feed: ${settled} matches settled, ${events} events in 180 s`);
  }
  await deployment.stopService("feed-1");
  const history = {
    matchesPlayed: (await matchesSettled()) - settledBefore,
    liveEvents: await liveEvents(),
    feedMs: Date.now() - feedStart,
  };
  console.error(
    `feed stopped after ${history.matchesPlayed} matches, ${history.liveEvents} LIVE events, ${(history.feedMs / 1000).toFixed(0)} s`,
  );
  if (warmupMs > 0) await phase(0, "after", targets.after, warmupMs);
  for (let run = 1; run <= runs; run++) {
    await measure(run, "after");
    await measure(run, "naive");
  }
  const exits = deployment.unexpectedExits();
  if (exits.length > 0) console.error(`EXITED: ${exits.join(", ")}`);

  const designs: Design[] = ["naive", "early", "floor", "after", "naive-work"];
  const rows = designs.map((design) => {
    const of = results.filter((r) => r.design === design);
    const m = (f: (r: PhaseResult) => number) => median(of.map(f));
    return {
      design,
      phases: of.length,
      perS: m((r) => r.perS),
      p50: m((r) => r.latencyMs.p50),
      p99: m((r) => r.latencyMs.p99),
      failed: m((r) => Object.values(r.failures).reduce((a, b) => a + b, 0)),
      cpuMsPerRequest: Object.fromEntries(
        [...new Set(of.flatMap((r) => Object.keys(r.cpuMs)))].map((name) => [
          name,
          m((r) => (r.cpuMs[name] ?? Number.NaN) / Math.max(1, r.requests)),
        ]),
      ),
    };
  });
  const row = (design: Design) => rows.find((r) => r.design === design)!;
  const naiveRow = row("naive");
  const label: Record<Design, string> = {
    naive: "naive: Express → BullMQ → shared agent (no work)",
    "naive-work": `naive, ${flags["naive-work-agents"] === "1" ? "its shared agent" : `${flags["naive-work-agents"]} agent processes`} doing ours' work (eplTradingAgent)`,
    early: `ours: ${flags.gateways} gateway(s), ${flags.workers} workers, ${flags.exchanges} exchange(s), eplTradingAgent`,
    floor: "ours, a run refused before any agent work (the platform's floor)",
    after: `ours after ${history.matchesPlayed} matches (${history.liveEvents} LIVE events)`,
  };
  console.log(
    `\nPOST /api/epl/trade, ${connections} connections closed loop, ${durationMs / 1000} s per phase, median of ${2 * runs} naive and ${runs} of each other phase; ratio = the row / naive\n`,
  );
  console.log(
    formatTable(
      ["server", "req/s", "p50 ms", "p99 ms", "failed", "req/s ratio", "p99 ratio", "total CPU ms/req"],
      rows.map((r) => [
        label[r.design],
        r.perS.toFixed(0),
        formatMs(r.p50),
        formatMs(r.p99),
        String(r.failed),
        ratio(r.perS, naiveRow.perS).toFixed(2),
        ratio(r.p99, naiveRow.p99).toFixed(2),
        cpuOf(r).toFixed(2),
      ]),
    ),
  );
  console.log("\nCPU ms per answered request, by process, medians:\n");
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.cpuMsPerRequest)))];
  console.log(
    formatTable(
      ["process", ...designs],
      names.map((name) => [name, ...rows.map((r) => formatMs(r.cpuMsPerRequest[name] ?? Number.NaN))]),
    ),
  );
  const [early, after] = [row("early"), row("after")];
  const oursWithWork = [early, after];
  for (const r of oursWithWork) {
    const met = r.perS >= naiveRow.perS && r.p99 <= naiveRow.p99;
    console.log(
      `target ${r.design}: ${met ? "met" : "MISSED"} (ours ${r.perS.toFixed(0)} req/s p99 ${formatMs(r.p99)} ms vs naive ${naiveRow.perS.toFixed(0)} req/s p99 ${formatMs(naiveRow.p99)} ms)`,
    );
  }
  const floorRow = row("floor");
  console.log(
    `floor: a run with no agent work ${floorRow.perS.toFixed(0)} req/s p99 ${formatMs(floorRow.p99)} ms, ` +
      `${ratio(floorRow.perS, naiveRow.perS).toFixed(2)} of the naive design's req/s`,
  );
  const workRow = row("naive-work");
  for (const r of oursWithWork) {
    console.log(
      `same work, ${r.design}: ours ${ratio(r.perS, workRow.perS).toFixed(2)} of the naive design's req/s ` +
        `(${workRow.perS.toFixed(0)} req/s p99 ${formatMs(workRow.p99)} ms) at ${ratio(r.p99, workRow.p99).toFixed(2)} of its p99`,
    );
  }
  const cores = cpus().length;
  const reach = reachOfTarget({ naive: naiveRow, early, after, floor: floorRow, naiveWork: workRow }, cores);
  console.log(describeReach(reach, naiveRow.perS, cores));
  const path = await writeResults("headline-trade", {
    benchmark: "headline-trade",
    command: `npx tsx loadtest/headline-trade.ts ${process.argv.slice(2).join(" ")}`.trim(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    setup: {
      connections,
      durationMs,
      warmupMs,
      runs,
      gateways: Number(flags.gateways),
      workers: Number(flags.workers),
      exchanges: Number(flags.exchanges),
      clients: clientCount,
      naiveWorkAgents: Number(flags["naive-work-agents"]),
      serviceEnv,
      feedEnv,
      history,
    },
    rows,
    reach,
    phases: results,
  });
  console.log(`\nresults: ${path}${flags.profile === undefined ? "" : `\nprofiles: ${profileDir}`}`);
} finally {
  await cleanUp();
}
