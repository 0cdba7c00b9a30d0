import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../shared/config.js";
import type { OpenParams, PhaseSamples } from "./fanout/client.js";
import { machineCpuMs } from "./fanout/machine-cpu.js";
import { createPublisher, type Publisher } from "./fanout/publisher.js";
import { type ServerKind, type ServerUnderTest, serverKinds, startServer } from "./fanout/servers.js";
import { createWorkload } from "./fanout/workload.js";
import { type ClientProcess, forkClients } from "./lib/client-processes.js";
import { parseTraceRatio } from "./lib/deployment.js";
import { fetchDevTokens, loadUsers } from "./lib/dev-tokens.js";
import { epochNow } from "./lib/open-loop.js";
import { cpuDelta, natsServerPid, sampleCpu } from "./lib/proc-cpu.js";
import { formatMs, formatTable, resultsDir, writeResults } from "./lib/report.js";
import { median, ratio, type Summary, summarize } from "./lib/stats.js";

/**
 * Live fan-out (issue 4): N sockets on one gateway process, subscribed to `scores` and three
 * `market.*` channels, while the feed publishes through the LIVE stream at each rate; against a
 * bare `ws` server and a Socket.IO server fed by the same stream, with the same client harness,
 * in the same run, `--rounds` times in turn (this machine is shared: medians, and the load).
 * Then our gateway again with `--gateways` processes of N sockets each. Prints the tables and
 * writes loadtest/results/fanout-<timestamp>.json.
 *
 *   npx tsx loadtest/fanout.ts [--sockets 15000] [--rates 1,10,100] [--duration 10] [--clients 5]
 *     [--servers ours,ws,socketio] [--gateways 1,2] [--rounds 2] [--fixtures 10] [--drain 5]
 *     [--idle 3] [--profile]
 *     [--trace-ratio 0.1]   (tracing on in our gateways, sampling that share of fan-outs; default off)
 */
const { values: flags } = parseArgs({
  options: {
    sockets: { type: "string", default: "15000" },
    rates: { type: "string", default: "1,10,100" },
    duration: { type: "string", default: "10" },
    clients: { type: "string", default: "5" },
    servers: { type: "string", default: serverKinds.join(",") },
    gateways: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "2" },
    fixtures: { type: "string", default: "10" },
    drain: { type: "string", default: "5" },
    idle: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    profile: { type: "boolean", default: false },
    "trace-ratio": { type: "string" },
  },
});
const traceRatio = parseTraceRatio(flags["trace-ratio"]);
/** Spans our traced gateways exported, summed over every session (counted once each has stopped). */
let spansReceived = 0;
const socketsPerServer = Number(flags.sockets);
const rates = flags.rates.split(",").map(Number);
const durationMs = Number(flags.duration) * 1000;
const drainMs = Number(flags.drain) * 1000;
const rounds = Number(flags.rounds);
const gatewayCounts = flags.gateways.split(",").map(Number);
const kinds = flags.servers.split(",").map((name) => {
  if (!(serverKinds as readonly string[]).includes(name)) throw new Error(`--servers: no server ${name}`);
  return name as ServerKind;
});
if (
  !(socketsPerServer >= 1) ||
  rates.some((r) => !(r > 0)) ||
  !(durationMs > 0) ||
  !(rounds >= 1) ||
  gatewayCounts.some((g) => !(g >= 1))
) {
  throw new Error("--sockets, --rates, --duration, --rounds and --gateways must be positive");
}
/** The machine allows 20,000 open files per process; one event loop saturates far earlier. */
const maxSocketsPerClient = 5000;
const config = loadConfig();
const natsUrl = config.natsUrl;
const workload = createWorkload(Number(flags.fixtures));
const profileDir = `${resultsDir}profiles-fanout-${Date.now()}`;
const clientModule = fileURLToPath(new URL("./fanout/client.ts", import.meta.url));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();

interface PhaseResult {
  ratePerS: number;
  published: number;
  publishFailed: number;
  expected: number;
  received: number;
  deliveredPct: number;
  /** Events of an earlier phase that arrived during this one (late deliveries). */
  stale: number;
  latencyMs: Summary;
  /** CPU ms of the fan-out processes over the phase (publish and drain). */
  serverCpuMs: number;
  serverCpuMsPerEvent: number;
  serverCpuUsPerDelivery: number;
  /** CPU ms of every watched process (server, clients, nats-server, publisher). */
  cpuMs: Record<string, number>;
  /** Share of the whole machine (both cores) busy during the phase, whoever used it. */
  machineBusyPct: number;
  rssAfterBytes: number;
  closes: Record<string, number>;
  /**
   * Per published event, over every socket: receipts and the first and last latency (ms). The
   * spread of one event (last − first) is its fan-out; an event whose first copy is late waited
   * behind other work.
   */
  events: { n: number; count: number; firstMs: number; lastMs: number }[];
  loadavg: number[];
}

interface SessionResult {
  kind: ServerKind;
  gateways: number;
  round: number;
  sockets: number;
  clients: number;
  opened: number;
  openFailed: number;
  openErrors: Record<string, number>;
  connectS: number;
  /** CPU ms per second the fan-out processes spend with every socket connected and no events. */
  idleCpuMsPerS: number;
  memory: {
    idle: { rssBytes: number; heapUsedBytes: number };
    connected: { rssBytes: number; heapUsedBytes: number };
    rssKBPerSocket: number;
    heapKBPerSocket: number;
  };
  phases: PhaseResult[];
  unexpectedExits: string[];
  uptime: string;
}

async function runPhase(
  server: ServerUnderTest,
  publisher: Publisher,
  clients: ClientProcess[],
  tag: string,
  ratePerS: number,
  sockets: number,
): Promise<PhaseResult> {
  const phase = `${tag}-${ratePerS}`;
  await Promise.all(clients.map((c) => c.call("begin", { phase })));
  const watched = [
    ...server.fanout,
    ...server.others,
    ...clients.map((c) => ({ name: `client-${c.index + 1}`, pid: c.pid })),
    { name: "nats-server", pid: natsServerPid(natsUrl) },
    { name: "publisher", pid: process.pid },
  ];
  const cpuBefore = sampleCpu(watched);
  const machineBefore = machineCpuMs();
  const published = await publisher.publish({ phase, ratePerS, durationMs, sockets });
  // Drain: until every delivery arrived, nothing arrived for 3 s, or `--drain` after the last publish.
  let received = 0;
  let lastChange = epochNow();
  while (received < published.expected && epochNow() < published.lastSentAt + drainMs) {
    await pause(200);
    const now = (await Promise.all(clients.map((c) => c.call<number>("progress")))).reduce(
      (a, b) => a + b,
      0,
    );
    if (now !== received) {
      received = now;
      lastChange = epochNow();
    } else if (epochNow() - lastChange > 3000) break;
  }
  const cpu = cpuDelta(cpuBefore, sampleCpu(watched));
  const machineAfter = machineCpuMs();
  const parts = await Promise.all(clients.map((c) => c.call<PhaseSamples>("collect")));
  const latencies = new Float64Array(parts.reduce((a, p) => a + p.latencyMs.length, 0));
  let at = 0;
  for (const part of parts) {
    latencies.set(part.latencyMs, at);
    at += part.latencyMs.length;
  }
  const closes: Record<string, number> = {};
  for (const part of parts) {
    for (const [code, n] of Object.entries(part.closes)) closes[code] = (closes[code] ?? 0) + n;
  }
  const total = parts.reduce((a, p) => a + p.received, 0);
  const byEvent = new Map<number, { n: number; count: number; firstMs: number; lastMs: number }>();
  for (const part of parts) {
    for (const [n, e] of Object.entries(part.events)) {
      const seen = byEvent.get(Number(n));
      if (seen === undefined) {
        byEvent.set(Number(n), { n: Number(n), count: e.count, firstMs: e.minMs, lastMs: e.maxMs });
      } else {
        seen.count += e.count;
        seen.firstMs = Math.min(seen.firstMs, e.minMs);
        seen.lastMs = Math.max(seen.lastMs, e.maxMs);
      }
    }
  }
  const serverCpuMs = server.fanout.reduce((a, p) => a + (cpu[p.name] ?? Number.NaN), 0);
  return {
    ratePerS,
    published: published.published,
    publishFailed: published.failed,
    expected: published.expected,
    received: total,
    deliveredPct: (100 * total) / published.expected,
    stale: parts.reduce((a, p) => a + p.stale, 0),
    latencyMs: summarize(Array.from(latencies)),
    serverCpuMs,
    serverCpuMsPerEvent: serverCpuMs / published.published,
    serverCpuUsPerDelivery: (1000 * serverCpuMs) / total,
    cpuMs: cpu,
    machineBusyPct:
      (100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total),
    rssAfterBytes: (await server.memory()).rssBytes,
    closes,
    events: [...byEvent.values()].sort((a, b) => a.n - b.n),
    loadavg: loadavg(),
  };
}

async function runSession(kind: ServerKind, gateways: number, round: number): Promise<SessionResult> {
  const sockets = socketsPerServer * (kind === "ours" ? gateways : 1);
  const clientCount = Math.max(Number(flags.clients), Math.ceil(sockets / maxSocketsPerClient));
  const label = kind === "ours" ? `ours (${gateways} gateway${gateways > 1 ? "s" : ""})` : kind;
  console.error(`[round ${round}] ${label}: starting…`);
  const server = await startServer(kind, {
    natsUrl,
    gateways,
    nodeArgs: flags.profile
      ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}/${kind}-g${gateways}-r${round}`]
      : [],
    ...(traceRatio === undefined ? {} : { traceRatio }),
  });
  let publisher: Publisher | undefined;
  let clients: ClientProcess[] = [];
  try {
    publisher = await createPublisher(config, server, workload);
    await publisher.seed();
    await pause(1500);
    const idle = await server.memory();
    const tokens =
      kind === "ours" ? await fetchDevTokens(server.urls[0]!, loadUsers(50, `lt-fanout-${round}`)) : [];
    clients = forkClients(clientModule, clientCount);
    const perClient = Math.ceil(sockets / clientCount);
    const openedAt = epochNow();
    const opened = await Promise.all(
      clients.map((client) => {
        const offset = client.index * perClient;
        const count = Math.max(0, Math.min(perClient, sockets - offset));
        return client.call<{ opened: number; failed: number; errors: Record<string, number> }>("open", {
          protocol: server.protocol,
          urls: [...server.urls],
          tokens,
          offset,
          channels: Array.from({ length: count }, (_, i) => workload.channelsOf(offset + i)),
          concurrency: Number(flags.concurrency),
        } satisfies OpenParams);
      }),
    );
    const connectS = (epochNow() - openedAt) / 1000;
    const openErrors: Record<string, number> = {};
    for (const o of opened) {
      for (const [message, n] of Object.entries(o.errors))
        openErrors[message] = (openErrors[message] ?? 0) + n;
    }
    const openedCount = opened.reduce((a, o) => a + o.opened, 0);
    console.error(
      `  ${openedCount}/${sockets} sockets subscribed in ${connectS.toFixed(1)} s over ${clientCount} clients` +
        (openedCount < sockets ? ` (errors ${JSON.stringify(openErrors)})` : ""),
    );
    await pause(2000);
    const connected = await server.memory();
    const idleMs = Number(flags.idle) * 1000;
    const idleBefore = sampleCpu(server.fanout);
    await pause(idleMs);
    const idleCpu = cpuDelta(idleBefore, sampleCpu(server.fanout));
    const idleCpuMsPerS = (Object.values(idleCpu).reduce((a, b) => a + b, 0) * 1000) / idleMs;
    const phases: PhaseResult[] = [];
    for (const rate of rates) {
      const result = await runPhase(
        server,
        publisher,
        clients,
        `${kind}-g${gateways}-r${round}`,
        rate,
        sockets,
      );
      phases.push(result);
      console.error(
        `  ${rate}/s: ${result.received}/${result.expected} delivered, p50 ${formatMs(result.latencyMs.p50)} ` +
          `p99 ${formatMs(result.latencyMs.p99)} max ${formatMs(result.latencyMs.max)} ms, ` +
          `server ${result.serverCpuMsPerEvent.toFixed(1)} ms CPU/event, machine ${result.machineBusyPct.toFixed(0)} % busy` +
          (Object.keys(result.closes).length > 0 ? `, closes ${JSON.stringify(result.closes)}` : ""),
      );
      await pause(1000);
    }
    return {
      kind,
      gateways,
      round,
      sockets,
      clients: clientCount,
      opened: openedCount,
      openFailed: sockets - openedCount,
      openErrors,
      connectS,
      idleCpuMsPerS,
      memory: {
        idle,
        connected,
        rssKBPerSocket: (connected.rssBytes - idle.rssBytes) / 1024 / openedCount,
        heapKBPerSocket: (connected.heapUsedBytes - idle.heapUsedBytes) / 1024 / openedCount,
      },
      phases,
      unexpectedExits: server.unexpectedExits(),
      uptime: uptime(),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await publisher?.close();
    await server.stop();
    spansReceived += server.spans();
  }
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    // The session's `finally` stops its server and clients; a second signal exits at once.
    stopping = true;
    console.error(`${signal}: stopping after the current session`);
    process.once(signal, () => process.exit(130));
  });
}

const startedAt = new Date();
const uptimeBefore = uptime();
console.error(`load before: ${uptimeBefore}`);
const sessions: SessionResult[] = [];
for (let round = 1; round <= rounds && !stopping; round++) {
  for (const kind of kinds) {
    if (!stopping) sessions.push(await runSession(kind, 1, round));
  }
}
for (const gateways of gatewayCounts.filter((g) => g > 1)) {
  if (!stopping && kinds.includes("ours")) sessions.push(await runSession("ours", gateways, 1));
}
const uptimeAfter = uptime();

/** Per server and rate over the rounds of the one-gateway comparison: medians of each figure. */
function medians(kind: ServerKind, gateways: number) {
  const of = sessions.filter((s) => s.kind === kind && s.gateways === gateways);
  const phase = (rate: number, pick: (p: PhaseResult) => number) =>
    median(
      of
        .map((s) => s.phases.find((p) => p.ratePerS === rate))
        .filter((p) => p !== undefined)
        .map(pick),
    );
  return {
    rounds: of.length,
    idleCpuMsPerS: median(of.map((s) => s.idleCpuMsPerS)),
    rssKBPerSocket: median(of.map((s) => s.memory.rssKBPerSocket)),
    heapKBPerSocket: median(of.map((s) => s.memory.heapKBPerSocket)),
    rates: rates.map((rate) => ({
      ratePerS: rate,
      deliveredPct: phase(rate, (p) => p.deliveredPct),
      p50: phase(rate, (p) => p.latencyMs.p50),
      p99: phase(rate, (p) => p.latencyMs.p99),
      max: phase(rate, (p) => p.latencyMs.max),
      serverCpuMsPerEvent: phase(rate, (p) => p.serverCpuMsPerEvent),
      serverCpuUsPerDelivery: phase(rate, (p) => p.serverCpuUsPerDelivery),
      clientsCpuMs: phase(rate, (p) =>
        Object.entries(p.cpuMs)
          .filter(([name]) => name.startsWith("client-"))
          .reduce((a, [, ms]) => a + ms, 0),
      ),
      machineBusyPct: phase(rate, (p) => p.machineBusyPct),
    })),
  };
}

const summary = Object.fromEntries(kinds.map((kind) => [kind, medians(kind, 1)]));
const scaled = gatewayCounts.filter((g) => g > 1).map((g) => ({ gateways: g, ...medians("ours", g) }));
const comparisons = rates.map((rate, i) => {
  const ours = summary.ours?.rates[i];
  const ws = summary.ws?.rates[i];
  const sio = summary.socketio?.rates[i];
  return {
    ratePerS: rate,
    // A latency of what arrived says little when a server delivered only part of the phase.
    allDelivered: {
      ours: ours?.deliveredPct === 100,
      ws: ws?.deliveredPct === 100,
      socketio: sio?.deliveredPct === 100,
    },
    p99OursOverWs: ratio(ours?.p99 ?? Number.NaN, ws?.p99 ?? Number.NaN),
    p99OursOverSocketio: ratio(ours?.p99 ?? Number.NaN, sio?.p99 ?? Number.NaN),
    // Per delivered message: servers that fell behind delivered different parts of the phase.
    cpuOursOverWs: ratio(
      ours?.serverCpuUsPerDelivery ?? Number.NaN,
      ws?.serverCpuUsPerDelivery ?? Number.NaN,
    ),
    cpuOursOverSocketio: ratio(
      ours?.serverCpuUsPerDelivery ?? Number.NaN,
      sio?.serverCpuUsPerDelivery ?? Number.NaN,
    ),
  };
});
const memoryDelta = {
  rssKBOverWs: (summary.ours?.rssKBPerSocket ?? Number.NaN) - (summary.ws?.rssKBPerSocket ?? Number.NaN),
  rssKBOverSocketio:
    (summary.ours?.rssKBPerSocket ?? Number.NaN) - (summary.socketio?.rssKBPerSocket ?? Number.NaN),
};
/**
 * A latency target is judged where the baseline delivered the whole phase: "met" needs ours to
 * have delivered all of it too. Where the baseline itself fell behind, so did the machine, and
 * the verdict is "saturated": compare delivered% and CPU per message instead.
 */
const latencyVerdict = (oursAll: boolean, baseAll: boolean, ratioValue: number, limit: number) =>
  !baseAll ? "saturated" : oursAll && ratioValue <= limit ? "met" : "MISSED";
/** A target against a server left out of the run (`--servers`) is "not measured", not missed. */
const notMeasured = "not measured";
const memoryVerdict = (delta: number, met: boolean) =>
  Number.isNaN(delta) ? notMeasured : met ? "met" : "MISSED";
const targets = {
  p99Within1_2xWs: comparisons.map((c) => ({
    ratePerS: c.ratePerS,
    verdict:
      summary.ws === undefined
        ? notMeasured
        : latencyVerdict(c.allDelivered.ours, c.allDelivered.ws, c.p99OursOverWs, 1.2),
  })),
  memoryWithin4KBOfWs: memoryVerdict(memoryDelta.rssKBOverWs, memoryDelta.rssKBOverWs <= 4),
  aheadOfSocketioP99: comparisons.map((c) => ({
    ratePerS: c.ratePerS,
    verdict:
      summary.socketio === undefined
        ? notMeasured
        : latencyVerdict(c.allDelivered.ours, c.allDelivered.socketio, c.p99OursOverSocketio, 1),
  })),
  aheadOfSocketioMemory: memoryVerdict(memoryDelta.rssKBOverSocketio, memoryDelta.rssKBOverSocketio < 0),
};

const kb = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
const rows: string[][] = [];
const addRows = (name: string, m: ReturnType<typeof medians>) => {
  for (const r of m.rates) {
    rows.push([
      name,
      String(r.ratePerS),
      r.deliveredPct.toFixed(2),
      formatMs(r.p50),
      formatMs(r.p99),
      formatMs(r.max),
      r.serverCpuMsPerEvent.toFixed(2),
      r.serverCpuUsPerDelivery.toFixed(2),
      r.machineBusyPct.toFixed(0),
      r.ratePerS === m.rates[0]?.ratePerS ? m.idleCpuMsPerS.toFixed(0) : "",
      kb(m.rssKBPerSocket),
      kb(m.heapKBPerSocket),
    ]);
  }
};
for (const kind of kinds) addRows(kind === "ours" ? "ours" : kind, summary[kind]!);
for (const s of scaled) addRows(`ours ×${s.gateways} gw`, s);
console.log(
  `\nlive fan-out: ${socketsPerServer} sockets per server process (scores + 3 market channels each, ` +
    `${workload.fixtures.length} fixtures), ${durationMs / 1000} s per rate; medians of ${rounds} rounds ` +
    `(×N gw: one round, N × ${socketsPerServer} sockets; CPU summed over the gateways)\n`,
);
console.log(
  formatTable(
    [
      "server",
      "events/s",
      "delivered%",
      "p50 ms",
      "p99 ms",
      "max ms",
      "CPU ms/event",
      "CPU µs/msg",
      "machine busy%",
      "idle CPU ms/s",
      "RSS KB/socket",
      "heap KB/socket",
    ],
    rows,
  ),
);
console.log("\nours against the baselines (ratios of the medians):\n");
console.log(
  formatTable(
    ["events/s", "p99 ours/ws", "p99 ours/socketio", "CPU/msg ours/ws", "CPU/msg ours/socketio"],
    comparisons.map((c) => [
      String(c.ratePerS),
      `${c.p99OursOverWs.toFixed(2)}x`,
      `${c.p99OursOverSocketio.toFixed(2)}x`,
      `${c.cpuOursOverWs.toFixed(2)}x`,
      `${c.cpuOursOverSocketio.toFixed(2)}x`,
    ]),
  ),
);
console.log(
  `\nRSS per socket: ours − ws ${kb(memoryDelta.rssKBOverWs)} KB, ours − socketio ${kb(memoryDelta.rssKBOverSocketio)} KB`,
);
console.log(
  `targets: p99 ≤ 1.2× ws: ${targets.p99Within1_2xWs.map((t) => `${t.ratePerS}/s ${t.verdict}`).join(", ")}; ` +
    `RSS ≤ ws + 4 KB: ${targets.memoryWithin4KBOfWs}; ` +
    `p99 ahead of socketio: ${targets.aheadOfSocketioP99.map((t) => `${t.ratePerS}/s ${t.verdict}`).join(", ")}; ` +
    `RSS ahead of socketio: ${targets.aheadOfSocketioMemory}`,
);
console.log(`load: before ${uptimeBefore}\n      after  ${uptimeAfter}`);
const path = await writeResults("fanout", {
  benchmark: "fanout",
  command: `npx tsx loadtest/fanout.ts ${process.argv.slice(2).join(" ")}`.trim(),
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version, uptimeBefore, uptimeAfter },
  setup: {
    socketsPerServer,
    rates,
    durationMs,
    drainMs,
    rounds,
    gatewayCounts,
    fixtures: workload.fixtures,
    ...(flags.profile ? { profileDir } : {}),
    tracing: traceRatio === undefined ? "off" : { ratio: traceRatio, spans: spansReceived },
  },
  summary,
  scaled,
  comparisons,
  memoryDelta,
  targets,
  sessions,
});
if (traceRatio !== undefined) console.log(`tracing at ratio ${traceRatio}: ${spansReceived} spans received`);
console.log(`\nwrote ${path}`);
