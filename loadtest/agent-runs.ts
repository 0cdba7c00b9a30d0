import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createOfflineProvider } from "../services/agent-worker/agent/offline-provider.js";
import { createAgentPool } from "../services/agent-worker/agents/pool.js";
import { loadConfig } from "../shared/config.js";
import { loadDataset } from "../shared/epl/dataset.js";
import { type AgentName, agentNames } from "../shared/protocol/agents.js";
import { type BaselineDeps, baselineServices, runBaselinePhase } from "./agent-runs/baseline.js";
import type { OpenParams, PhaseParams } from "./agent-runs/client.js";
import { mergeMeasurements, type PhaseMeasurements } from "./agent-runs/run-tracker.js";
import { defaultAgents } from "./agent-runs/workload.js";
import { type ClientProcess, forkClients } from "./lib/client-processes.js";
import { type Deployment, parseTraceRatio, startDeployment, tracingRecord } from "./lib/deployment.js";
import { fetchDevTokens, loadUsers } from "./lib/dev-tokens.js";
import { epochNow } from "./lib/open-loop.js";
import { cpuDelta, natsServerPid, redisServerPid, sampleCpu } from "./lib/proc-cpu.js";
import { formatMs, formatTable, resultsDir, writeResults } from "./lib/report.js";
import { ratio, summarize } from "./lib/stats.js";

/**
 * Agent runs through the distributed deployment (issue 2): open-loop `agent.run` arrivals at each
 * offered rate over WebSockets to every gateway, against the same runs called in-process at the
 * same rate (the baseline), measured in the same run because this machine is shared and noisy.
 * Prints one table and writes loadtest/results/agent-runs-<timestamp>.json.
 *
 *   npx tsx loadtest/agent-runs.ts [--rates 50,200,500,1000] [--duration 10] [--sockets 200]
 *     [--clients 2] [--users 50] [--drain 15] [--warmup 3] [--skip-baseline]
 *     [--env KEY=VALUE]… [--profile gateway|agent-worker] [--agents eplScoutAgent,leagueStatsAgent]
 *     [--trace-ratio 0.1]   (tracing on in every service, sampling that share of traces; default off)
 */
const { values: flags } = parseArgs({
  options: {
    rates: { type: "string", default: "50,200,500,1000" },
    duration: { type: "string", default: "10" },
    sockets: { type: "string", default: "200" },
    clients: { type: "string", default: "2" },
    users: { type: "string", default: "50" },
    gateways: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    drain: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    "skip-baseline": { type: "boolean", default: false },
    env: { type: "string", multiple: true, default: [] },
    profile: { type: "string" },
    agents: { type: "string", default: defaultAgents.join(",") },
    "trace-ratio": { type: "string" },
  },
});
const traceRatio = parseTraceRatio(flags["trace-ratio"]);
const rates = flags.rates.split(",").map(Number);
const durationMs = Number(flags.duration) * 1000;
const socketCount = Number(flags.sockets);
const clientCount = Number(flags.clients);
const drainMs = Number(flags.drain) * 1000;
const warmupMs = Number(flags.warmup) * 1000;
if (
  rates.some((r) => !(r > 0)) ||
  !(durationMs > 0) ||
  !(socketCount >= clientCount) ||
  !(clientCount >= 1)
) {
  throw new Error("--rates must be positive numbers, --duration > 0, --sockets >= --clients >= 1");
}
// This measures the run path's capacity, not the per-user limits (a few users send hundreds of
// runs a second): the limits are lifted unless `--env` sets them.
const serviceEnv = {
  AGENT_RUNS_PER_MINUTE_FREE: "1000000",
  AGENT_RUNS_PER_MINUTE_PRO: "1000000",
  AGENT_CONCURRENT_FREE: "100000",
  AGENT_CONCURRENT_PRO: "100000",
  ...Object.fromEntries(flags.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
};
const profileDir = `${resultsDir}profiles-${Date.now()}`;
const agents = flags.agents.split(",").map((name) => {
  if (!(agentNames as readonly string[]).includes(name)) throw new Error(`--agents: no agent ${name}`);
  return name as AgentName;
});

interface Figures {
  offered: number;
  completed: number;
  completedPerS: number;
  completePct: number;
  incomplete: number;
  errors: Record<string, number>;
  acceptedMs: ReturnType<typeof summarize>;
  firstDeltaMs: ReturnType<typeof summarize>;
  doneMs: ReturnType<typeof summarize>;
  sendLagMs: ReturnType<typeof summarize>;
}

function figures(m: PhaseMeasurements, startAt: number): Figures {
  // Throughput over the time the runs actually took: a backlog that finishes late lowers it.
  const elapsedS = Math.max(durationMs, m.lastDoneAt - startAt) / 1000;
  return {
    offered: m.offered,
    completed: m.completed,
    completedPerS: m.completed / elapsedS,
    completePct: m.offered === 0 ? Number.NaN : (100 * m.completed) / m.offered,
    incomplete: m.incomplete,
    errors: m.errors,
    acceptedMs: summarize(m.acceptedMs),
    firstDeltaMs: summarize(m.firstDeltaMs),
    doneMs: summarize(m.doneMs),
    sendLagMs: summarize(m.sendLagMs),
  };
}

async function distributedPhase(clients: ClientProcess[], ratePerS: number, phaseMs: number) {
  const startAt = epochNow() + 300;
  const parts = await Promise.all(
    clients.map((client) =>
      client.call<PhaseMeasurements>("phase", {
        ratePerS,
        durationMs: phaseMs,
        startAt,
        share: { index: client.index, of: clients.length },
        drainMs,
        agents,
      } satisfies PhaseParams),
    ),
  );
  return { measurements: mergeMeasurements(parts), startAt };
}

async function baselinePhase(deps: BaselineDeps, ratePerS: number, phaseMs: number) {
  const startAt = epochNow() + 100;
  return {
    measurements: await runBaselinePhase(deps, { ratePerS, durationMs: phaseMs, startAt, drainMs, agents }),
    startAt,
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let deployment: Deployment | undefined;
let clients: ClientProcess[] = [];
let cleaning: Promise<void> | undefined;
const cleanUp = () => {
  cleaning ??= (async () => {
    await Promise.all(clients.map((c) => c.close()));
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

try {
  const workerCount = Number(flags.workers);
  const gatewayCount = Number(flags.gateways);
  console.error(`starting ${gatewayCount} gateways, ${workerCount} workers, 1 exchange…`);
  deployment = await startDeployment({
    gateways: gatewayCount,
    workers: workerCount,
    env: serviceEnv,
    ...(traceRatio === undefined ? {} : { traceRatio }),
    ...(flags.profile === undefined
      ? {}
      : { nodeArgs: { [flags.profile]: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } }),
  });
  const users = loadUsers(Number(flags.users));
  const tokens = await fetchDevTokens(deployment.gatewayUrls[0]!, users);

  clients = forkClients(fileURLToPath(new URL("./agent-runs/client.ts", import.meta.url)), clientCount);
  const perClient = Math.ceil(socketCount / clientCount);
  await Promise.all(
    clients.map((client) =>
      client.call("open", {
        urls: [...deployment!.gatewayUrls],
        tokens,
        sockets: Math.min(perClient, socketCount - client.index * perClient),
        socketOffset: client.index * perClient,
      } satisfies OpenParams),
    ),
  );
  console.error(`${socketCount} sockets open over ${clientCount} client processes, ${users.length} users`);

  const config = loadConfig({}, { offlineTokenDelayMs: 0 });
  const epl = loadDataset();
  const baseline: BaselineDeps = {
    pool: createAgentPool(config),
    provider: createOfflineProvider({ dataset: epl, tokenDelayMs: 0 }),
    services: baselineServices(epl),
    maxSteps: config.modelMaxSteps,
  };

  // Warm-up (not reported): JIT, connection pools, and workers that started after the gateways.
  if (warmupMs > 0) {
    const warm = await distributedPhase(clients, 20, warmupMs);
    if (warm.measurements.completed === 0) throw new Error("warm-up: no run completed; see the service logs");
    await baselinePhase(baseline, 20, warmupMs);
  }

  const phases = [];
  for (const rate of rates) {
    const base = flags["skip-baseline"] ? undefined : await baselinePhase(baseline, rate, durationMs);
    await pause(500);
    const watched = [
      ...deployment.processes(),
      ...clients.map((c) => ({ name: `client-${c.index + 1}`, pid: c.pid })),
      // Shared with everything else on the machine that uses them: upper bounds of their share.
      { name: "nats-server", pid: natsServerPid(process.env.NATS_URL ?? "nats://127.0.0.1:4222") },
      { name: "redis-server", pid: redisServerPid(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") },
    ];
    const cpuBefore = sampleCpu(watched);
    const dist = await distributedPhase(clients, rate, durationMs);
    const cpu = cpuDelta(cpuBefore, sampleCpu(watched));
    const distributed = figures(dist.measurements, dist.startAt);
    const inProcess = base === undefined ? undefined : figures(base.measurements, base.startAt);
    const phase = {
      offeredPerS: rate,
      distributed,
      baseline: inProcess,
      ratio: {
        firstDeltaP50: ratio(distributed.firstDeltaMs.p50, inProcess?.firstDeltaMs.p50 ?? Number.NaN),
        firstDeltaP99: ratio(distributed.firstDeltaMs.p99, inProcess?.firstDeltaMs.p99 ?? Number.NaN),
      },
      /** CPU ms each process used during the distributed phase, and per completed run. */
      cpuMs: cpu,
      cpuMsPerRun: Object.fromEntries(
        Object.entries(cpu).map(([name, ms]) => [name, ms / Math.max(1, distributed.completed)]),
      ),
      unexpectedExits: deployment.unexpectedExits(),
      loadavg: loadavg(),
    };
    phases.push(phase);
    console.error(
      `${rate}/s: ${distributed.completed}/${distributed.offered} complete, ` +
        `first delta p99 ${formatMs(distributed.firstDeltaMs.p99)} ms, errors ${JSON.stringify(distributed.errors)}` +
        `${phase.unexpectedExits.length > 0 ? `, EXITED: ${phase.unexpectedExits.join(", ")}` : ""}`,
    );
    await pause(1000);
  }

  const pair = (s: { p50: number; p99: number }) => `${formatMs(s.p50)} / ${formatMs(s.p99)}`;
  const table = formatTable(
    [
      "offered/s",
      "completed/s",
      "complete%",
      "accepted p50/p99",
      "first-delta p50/p99",
      "done p50/p99",
      "baseline first-delta p50/p99",
      "ratio p50",
    ],
    phases.map((p) => [
      String(p.offeredPerS),
      p.distributed.completedPerS.toFixed(1),
      p.distributed.completePct.toFixed(1),
      pair(p.distributed.acceptedMs),
      pair(p.distributed.firstDeltaMs),
      pair(p.distributed.doneMs),
      p.baseline === undefined ? "–" : pair(p.baseline.firstDeltaMs),
      Number.isFinite(p.ratio.firstDeltaP50) ? `${p.ratio.firstDeltaP50.toFixed(1)}x` : "–",
    ]),
  );
  const target = phases.find((p) => p.offeredPerS === 500);
  const targetMet =
    target === undefined
      ? undefined
      : target.distributed.completed === target.distributed.offered &&
        target.distributed.completedPerS >= 0.98 * 500 &&
        target.distributed.firstDeltaMs.p99 < 50;
  console.log(
    `\nagent runs, ${gatewayCount} gateways + ${workerCount} workers, ${socketCount} sockets, ${durationMs / 1000} s per rate (ms from scheduled send)\n`,
  );
  console.log(table);
  if (targetMet !== undefined) {
    console.log(
      `\ntarget 500 runs/s, every run complete, p99 first delta < 50 ms: ${targetMet ? "met" : "MISSED"}`,
    );
  }
  const roles = Object.keys(phases[0]?.cpuMsPerRun ?? {});
  console.log("\nCPU ms per completed run, by process, during each distributed phase:\n");
  console.log(
    formatTable(
      ["offered/s", ...roles],
      phases.map((p) => [
        String(p.offeredPerS),
        ...roles.map((r) => (p.cpuMsPerRun[r] ?? Number.NaN).toFixed(2)),
      ]),
    ),
  );
  const path = await writeResults("agent-runs", {
    benchmark: "agent-runs",
    command: `npx tsx loadtest/agent-runs.ts ${process.argv.slice(2).join(" ")}`.trim(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    setup: {
      gateways: gatewayCount,
      workers: workerCount,
      sockets: socketCount,
      clients: clientCount,
      users: users.length,
      agents,
      durationMs,
      drainMs,
      serviceEnv,
      ...(flags.profile === undefined ? {} : { profiled: flags.profile, profileDir }),
      tracing: tracingRecord(deployment),
    },
    targetMet,
    phases,
  });
  if (deployment.tracing !== undefined)
    console.log(`tracing at ratio ${traceRatio}: ${deployment.tracing.spans()} spans received`);
  console.log(`\nwrote ${path}`);
} finally {
  await cleanUp();
}
