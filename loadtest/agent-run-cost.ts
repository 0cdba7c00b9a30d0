import { parseArgs } from "node:util";
import { eplTradeInput } from "../services/gateway/agent-runs/epl-trade-route.js";
import { loadDataset } from "../shared/epl/dataset.js";
import type { AgentEvent } from "../shared/protocol/agent-frames.js";
import { createInProcessAgent } from "./headline-trade/in-process-agent.js";
import { headlineFixtures, refusedRunInput } from "./headline-trade/workload.js";
import { formatTable, writeResults } from "./lib/report.js";
import { median, ratio } from "./lib/stats.js";

/**
 * What one agent run of the headline request costs the worker's CPU, in process: the trading
 * agent with its tools on the offline model at zero token delay, over the worker's own tool
 * services (the exchange in PGlite, the LIVE read models on a memory stream, as embedded mode
 * builds them), each frame serialised as the worker's output writer does. No gateway, bus or
 * HTTP: what is left is the agent's own work, measured without a deployment's noise.
 *
 * Two workloads, interleaved round by round: `analysis` (the body `POST /api/epl/trade` gets in
 * headline-trade.ts: the next ten fixtures, one each run in turn) and, as the baseline of the same
 * run, `refused` (the trading agent asked to trade for a friend: refused before any model or tool
 * work, the headline benchmark's floor). CPU is `process.cpuUsage()` over each round.
 *
 *   npx tsx loadtest/agent-run-cost.ts [--runs 3000] [--rounds 5] [--warmup 500]
 *   node --cpu-prof --import tsx loadtest/agent-run-cost.ts …   (where the time goes)
 */
const { values: flags } = parseArgs({
  options: {
    runs: { type: "string", default: "3000" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "500" },
  },
});
const runsPerRound = Number(flags.runs);
const rounds = Number(flags.rounds);
const warmup = Number(flags.warmup);

const epl = loadDataset();
const agent = await createInProcessAgent(epl);

const fixtures = headlineFixtures(epl);
const workloads = {
  analysis: fixtures.map((body) => eplTradeInput(body, epl)),
  refused: fixtures.map(refusedRunInput),
};
type Workload = keyof typeof workloads;

/** One run to its end; returns the bytes of its frames. Fails on an error frame or a refusal that did work. */
async function runOnce(workload: Workload, i: number): Promise<number> {
  const userId = `lt-cost-${i % 50}`;
  let bytes = 0;
  let seq = 0;
  let tools = 0;
  let last: AgentEvent | undefined;
  for await (const event of agent.run(workloads[workload][i % fixtures.length]!, userId, `lt-cost-${i}`)) {
    bytes += JSON.stringify({ ...event, seq: ++seq }).length;
    if (event.type === "agent.tool") tools += 1;
    last = event;
  }
  if (last?.type !== "agent.done" || last.stopReason !== "end_turn") {
    throw new Error(`${workload} run ${i} ended with ${JSON.stringify(last)}`);
  }
  if ((workload === "refused") !== (tools === 0)) {
    throw new Error(`${workload} run ${i} made ${tools} tool frames`);
  }
  return bytes;
}

async function round(workload: Workload, count: number) {
  let bytes = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) bytes += await runOnce(workload, i);
  const cpu = process.cpuUsage(before);
  return { cpuUsPerRun: (cpu.user + cpu.system) / count, bytesPerRun: bytes / count };
}

for (const workload of Object.keys(workloads) as Workload[]) await round(workload, warmup);
const measured: Record<Workload, { cpuUsPerRun: number; bytesPerRun: number }[]> = {
  analysis: [],
  refused: [],
};
for (let r = 0; r < rounds; r++) {
  for (const workload of Object.keys(workloads) as Workload[]) {
    measured[workload].push(await round(workload, runsPerRound));
  }
}

const rows = (Object.keys(measured) as Workload[]).map((workload) => {
  const cpu = measured[workload].map((m) => m.cpuUsPerRun);
  return {
    workload,
    cpuUsPerRun: median(cpu),
    minCpuUsPerRun: Math.min(...cpu),
    maxCpuUsPerRun: Math.max(...cpu),
    frameBytesPerRun: median(measured[workload].map((m) => m.bytesPerRun)),
  };
});
const refused = rows.find((r) => r.workload === "refused")!;
console.log(
  `\neplTradingAgent in process, offline model at zero delay: ${rounds} rounds of ${runsPerRound} runs per workload, medians\n`,
);
console.log(
  formatTable(
    ["workload", "CPU µs/run", "min", "max", "frame bytes/run", "ratio to refused"],
    rows.map((r) => [
      r.workload,
      r.cpuUsPerRun.toFixed(0),
      r.minCpuUsPerRun.toFixed(0),
      r.maxCpuUsPerRun.toFixed(0),
      r.frameBytesPerRun.toFixed(0),
      ratio(r.cpuUsPerRun, refused.cpuUsPerRun).toFixed(1),
    ]),
  ),
);
const path = await writeResults("agent-run-cost", {
  benchmark: "agent-run-cost",
  command: `npx tsx loadtest/agent-run-cost.ts ${process.argv.slice(2).join(" ")}`.trim(),
  finishedAt: new Date().toISOString(),
  machine: { node: process.version },
  setup: { runsPerRound, rounds, warmup },
  rows,
  rounds: measured,
});
console.log(`\nresults: ${path}`);
await agent.close();
