import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { clientFrames } from "../shared/client/frames.js";
import { type AgentName, agentNames } from "../shared/protocol/agents.js";
import { defaultAgents, runSpec } from "./agent-runs/workload.js";
import { type Deployment, startDeployment } from "./lib/deployment.js";
import { fetchDevTokens, type LoadUser, loadUsers } from "./lib/dev-tokens.js";
import { epochNow, runOpenLoop } from "./lib/open-loop.js";
import { formatMs, formatTable, writeResults } from "./lib/report.js";
import { summarize } from "./lib/stats.js";

/**
 * Agent runs under overload, mixed tiers (issue 5): a deployment with a small agent queue
 * (AGENT_QUEUE_MAX) and few worker slots is first measured for the runs per second it completes
 * (a burst of pro runs), then offered `--overload` times that rate, open loop, a `--pro-share` of
 * the arrivals from pro users and the rest from free users, over WebSockets to every gateway.
 * Reports, per tier: refusals by code, completed runs, and the time to the first delta and to
 * `agent.done` (p50/p99, ms from the scheduled send). The per-user run limits are lifted (env) so
 * that what refuses is the queue, not a user's quota. Prints a table and writes
 * loadtest/results/agent-overload-<timestamp>.json.
 *
 *   npx tsx loadtest/agent-overload.ts [--overload 2] [--duration 15] [--pro-share 0.2]
 *     [--queue-max 40] [--worker-concurrency 8] [--token-delay 5] [--users 100]
 *     [--gateways 2] [--workers 1] [--agents eplScoutAgent,leagueStatsAgent]
 */
const { values: flags } = parseArgs({
  options: {
    overload: { type: "string", default: "2" },
    duration: { type: "string", default: "15" },
    "pro-share": { type: "string", default: "0.2" },
    "queue-max": { type: "string", default: "40" },
    "worker-concurrency": { type: "string", default: "8" },
    "token-delay": { type: "string", default: "5" },
    users: { type: "string", default: "100" },
    gateways: { type: "string", default: "2" },
    workers: { type: "string", default: "1" },
    drain: { type: "string", default: "20" },
    agents: { type: "string", default: defaultAgents.join(",") },
  },
});
const overload = Number(flags.overload);
const durationMs = Number(flags.duration) * 1000;
const proShare = Number(flags["pro-share"]);
const drainMs = Number(flags.drain) * 1000;
if (!(overload > 0) || !(durationMs > 0) || !(proShare > 0 && proShare < 1)) {
  throw new Error("--overload and --duration must be > 0, --pro-share in (0, 1)");
}
const agents = flags.agents.split(",").map((name) => {
  if (!(agentNames as readonly string[]).includes(name)) throw new Error(`--agents: no agent ${name}`);
  return name as AgentName;
});
const lifted = "1000000";
const serviceEnv = {
  AGENT_QUEUE_MAX: flags["queue-max"],
  WORKER_CONCURRENCY: flags["worker-concurrency"],
  OFFLINE_TOKEN_DELAY_MS: flags["token-delay"],
  AGENT_RUNS_PER_MINUTE_FREE: lifted,
  AGENT_RUNS_PER_MINUTE_PRO: lifted,
  AGENT_CONCURRENT_FREE: lifted,
  AGENT_CONCURRENT_PRO: lifted,
};

type Tier = LoadUser["tier"];

/** What one run's client saw, in ms from its scheduled send. */
interface Outcome {
  tier: Tier;
  /** `done`, `incomplete`, or the refusal / failure code. */
  end: string;
  queuedAhead?: number;
  firstDeltaMs?: number;
  doneMs?: number;
}

interface Socket {
  ws: WebSocket;
  tier: Tier;
  runs: Map<string, { scheduledAt: number; outcome: Outcome }>;
}

function open(url: string, token: string, tier: Tier): Promise<Socket> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const socket: Socket = { ws, tier, runs: new Map() };
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as {
      type: string;
      id?: string;
      code?: string;
      queuedAhead?: number;
    };
    const run = frame.id === undefined ? undefined : socket.runs.get(frame.id);
    if (run === undefined) return;
    const at = epochNow() - run.scheduledAt;
    if (frame.type === "agent.accepted") run.outcome.queuedAhead = frame.queuedAhead;
    else if (frame.type === "agent.delta") run.outcome.firstDeltaMs ??= at;
    else if (frame.type === "agent.done") {
      run.outcome.end = "done";
      run.outcome.doneMs = at;
      socket.runs.delete(frame.id!);
    } else if (frame.type === "agent.error" || frame.type === "error") {
      run.outcome.end = frame.code ?? "unknown";
      socket.runs.delete(frame.id!);
    }
  });
  return new Promise((resolve, reject) => {
    ws.once("error", reject);
    ws.once("message", () => resolve(socket));
  });
}

/** Sends one run per arrival on the next socket of `tier`; outcomes are filled in as frames arrive. */
function sender(sockets: Socket[], tag: string, outcomes: Outcome[]) {
  const next: Record<Tier, number> = { free: 0, pro: 0 };
  const byTier = {
    free: sockets.filter((s) => s.tier === "free"),
    pro: sockets.filter((s) => s.tier === "pro"),
  };
  return (arrival: number, scheduledAt: number, tier: Tier) => {
    const list = byTier[tier];
    const socket = list[next[tier]++ % list.length]!;
    const outcome: Outcome = { tier, end: "incomplete" };
    outcomes.push(outcome);
    const id = `${tag}-${arrival}`;
    socket.runs.set(id, { scheduledAt, outcome });
    socket.ws.send(JSON.stringify(clientFrames.agentRun(id, runSpec(arrival, agents))));
  };
}

async function settle(outcomes: Outcome[], deadline: number) {
  while (outcomes.some((o) => o.end === "incomplete") && epochNow() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pro runs all at once, within the queue: completed runs per second is what the deployment sustains. */
async function measureCapacity(sockets: Socket[], queueMax: number): Promise<number> {
  const outcomes: Outcome[] = [];
  const send = sender(sockets, `cap-${Date.now()}`, outcomes);
  const count = Math.floor(queueMax * 0.8);
  const startAt = epochNow();
  for (let i = 0; i < count; i++) send(i, startAt, "pro");
  await settle(outcomes, startAt + 120_000);
  const done = outcomes.filter((o) => o.end === "done").map((o) => o.doneMs!);
  if (done.length < count / 2) throw new Error(`capacity burst: only ${done.length}/${count} runs completed`);
  return done.length / (Math.max(...done) / 1000);
}

function tierFigures(outcomes: Outcome[], tier: Tier) {
  const mine = outcomes.filter((o) => o.tier === tier);
  const ends: Record<string, number> = {};
  for (const o of mine) ends[o.end] = (ends[o.end] ?? 0) + 1;
  const refused = (ends.overloaded ?? 0) + (ends.rate_limited ?? 0);
  return {
    offered: mine.length,
    ends,
    refusedPct: mine.length === 0 ? Number.NaN : (100 * refused) / mine.length,
    firstDeltaMs: summarize(mine.flatMap((o) => (o.firstDeltaMs === undefined ? [] : [o.firstDeltaMs]))),
    doneMs: summarize(mine.flatMap((o) => (o.doneMs === undefined ? [] : [o.doneMs]))),
    queuedAhead: summarize(mine.flatMap((o) => (o.queuedAhead === undefined ? [] : [o.queuedAhead]))),
  };
}

let deployment: Deployment | undefined;
let sockets: Socket[] = [];
try {
  const gateways = Number(flags.gateways);
  const workers = Number(flags.workers);
  console.error(
    `starting ${gateways} gateways, ${workers} workers, 1 exchange (queue max ${flags["queue-max"]})…`,
  );
  deployment = await startDeployment({ gateways, workers, env: serviceEnv });
  const users = loadUsers(Number(flags.users));
  const tokens = await fetchDevTokens(deployment.gatewayUrls[0]!, users);
  sockets = await Promise.all(
    users.map((user, i) =>
      open(deployment!.gatewayUrls[i % deployment!.gatewayUrls.length]!, tokens[i]!, user.tier),
    ),
  );

  // The first burst warms the services up (JIT, pools); the second one is measured.
  await measureCapacity(sockets, Number(flags["queue-max"]));
  const capacity = await measureCapacity(sockets, Number(flags["queue-max"]));
  const offeredPerS = Math.max(1, Math.round(capacity * overload));
  console.error(
    `capacity ≈ ${capacity.toFixed(1)} runs/s; offering ${offeredPerS}/s for ${durationMs / 1000} s`,
  );
  await new Promise((r) => setTimeout(r, 2000));

  const outcomes: Outcome[] = [];
  const send = sender(sockets, `ov-${Date.now()}`, outcomes);
  // Every 1/proShare-th arrival is pro, spread evenly through the phase.
  const proEvery = Math.round(1 / proShare);
  const loadBefore = loadavg();
  await runOpenLoop({
    ratePerS: offeredPerS,
    durationMs,
    startAt: epochNow() + 200,
    fire: (arrival, scheduledAt) => send(arrival, scheduledAt, arrival % proEvery === 0 ? "pro" : "free"),
  });
  await settle(outcomes, epochNow() + drainMs);

  const tiers = { pro: tierFigures(outcomes, "pro"), free: tierFigures(outcomes, "free") };
  const pair = (s: { p50: number; p99: number }) => `${formatMs(s.p50)} / ${formatMs(s.p99)}`;
  console.log(
    `\nagent runs under overload: ${gateways} gateways, ${workers} worker(s) × ${flags["worker-concurrency"]} slots, ` +
      `queue max ${flags["queue-max"]}, capacity ≈ ${capacity.toFixed(1)}/s, offered ${offeredPerS}/s ` +
      `(${overload}×) for ${durationMs / 1000} s, ${Math.round(proShare * 100)}% pro (ms from scheduled send)\n`,
  );
  console.log(
    formatTable(
      [
        "tier",
        "offered",
        "done",
        "overloaded",
        "other",
        "refused %",
        "first-delta p50/p99",
        "done p50/p99",
        "queuedAhead p50/max",
      ],
      (["pro", "free"] as const).map((tier) => {
        const t = tiers[tier];
        const other = t.offered - (t.ends.done ?? 0) - (t.ends.overloaded ?? 0);
        return [
          tier,
          String(t.offered),
          String(t.ends.done ?? 0),
          String(t.ends.overloaded ?? 0),
          String(other),
          t.refusedPct.toFixed(1),
          pair(t.firstDeltaMs),
          pair(t.doneMs),
          `${formatMs(t.queuedAhead.p50)} / ${formatMs(t.queuedAhead.max)}`,
        ];
      }),
    ),
  );
  const path = await writeResults("agent-overload", {
    benchmark: "agent-overload",
    command: `npx tsx loadtest/agent-overload.ts ${process.argv.slice(2).join(" ")}`.trim(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
    },
    setup: { gateways, workers, users: users.length, agents, durationMs, proShare, overload, serviceEnv },
    capacityPerS: capacity,
    offeredPerS,
    tiers,
    unexpectedExits: deployment.unexpectedExits(),
  });
  console.log(`\nwrote ${path}`);
} finally {
  for (const socket of sockets) socket.ws.terminate();
  await deployment?.stop();
}
