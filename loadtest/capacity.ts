import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  arithmetic,
  arithmeticTable,
  curvesSpec,
  kindsTable,
  stepsTable,
  summaryLines,
} from "./capacity/capacity-report.js";
import { runCapacity, type StepResult } from "./capacity/harness.js";
import { defaultCapacityModel } from "./capacity/user-model.js";
import { writeResults } from "./lib/report.js";
import { renderSvg } from "./lib/svg-chart.js";

/**
 * The mixed-workload capacity test (docs/capacity.md, "Users per server"): users ramped in steps
 * against a distributed deployment of its own while its market feed plays ten matches, until a
 * step breaks an objective; then CPU and memory per user by process kind, and from them users per
 * 8-vCPU server, servers for a million users and cost per user-month. Prints the tables, writes
 * loadtest/results/capacity-<timestamp>.json and the curves as an SVG.
 *
 *   npx tsx loadtest/capacity.ts [--steps 250,500,1000,1500,2000,3000] [--compression 60]
 *     [--step 60] [--drain 10] [--grace 2] [--clients 4] [--gateways 2] [--workers 2]
 *     [--exchanges 1] [--svg docs/capacity-curves.svg] [--env KEY=VALUE]…
 *   npx tsx loadtest/capacity.ts --report loadtest/results/capacity-<timestamp>.json
 *     (no run: the tables, arithmetic and curves again from a run's JSON)
 */
const { values: flags } = parseArgs({
  options: {
    steps: { type: "string", default: "250,500,1000,1500,2000,3000" },
    compression: { type: "string", default: "60" },
    step: { type: "string", default: "60" },
    drain: { type: "string", default: "10" },
    grace: { type: "string", default: "2" },
    clients: { type: "string", default: "4" },
    gateways: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    exchanges: { type: "string", default: "1" },
    "live-matches": { type: "string", default: "10" },
    svg: { type: "string", default: fileURLToPath(new URL("../docs/capacity-curves.svg", import.meta.url)) },
    env: { type: "string", multiple: true, default: [] },
    report: { type: "string" },
  },
});
const steps = flags.steps.split(",").map(Number);
const compression = Number(flags.compression);
if (steps.some((n, i) => !(n > 0) || (i > 0 && n <= steps[i - 1]!)) || !(compression >= 1)) {
  throw new Error("--steps must be ascending positive user counts, --compression ≥ 1");
}
const options = {
  model: defaultCapacityModel,
  steps,
  compression,
  stepMs: Number(flags.step) * 1000,
  drainMs: Number(flags.drain) * 1000,
  graceMs: Number(flags.grace) * 1000,
  clients: Number(flags.clients),
  gateways: Number(flags.gateways),
  workers: Number(flags.workers),
  exchanges: Number(flags.exchanges),
  liveMatches: Number(flags["live-matches"]),
  env: Object.fromEntries(
    flags.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  ),
  log: (line: string) => console.error(line),
};

const startedAt = new Date();
const loadBefore = loadavg();
const recorded =
  flags.report === undefined
    ? undefined
    : (JSON.parse(await readFile(flags.report, "utf8")) as {
        steps: StepResult[];
        options: { compression: number };
      });
const result = recorded ?? (await runCapacity(options));
const ratio = recorded?.options.compression ?? compression;
const math = arithmetic(result.steps, options.model, ratio);
console.log(`\nMixed workload, one user-hour in ${3600 / ratio} s (${ratio}×), ${cpus().length} cores\n`);
console.log(stepsTable(result.steps));
console.log("\nCPU (cores busy) and RSS by process kind\n");
console.log(kindsTable(result.steps));
console.log("\nPer user at real time, and an 8-vCPU server of each kind\n");
console.log(arithmeticTable(math));
console.log(`\n${summaryLines(math, ratio).join("\n")}`);
await writeFile(flags.svg, await renderSvg(curvesSpec(result.steps)));
if (recorded === undefined) {
  const path = await writeResults(
    "capacity",
    {
      benchmark: "capacity",
      command: `npx tsx loadtest/capacity.ts ${process.argv.slice(2).join(" ")}`.trim(),
      startedAt: startedAt.toISOString(),
      cores: cpus().length,
      loadavgBefore: loadBefore,
      options: { ...options, log: undefined },
      deployment: (result as Awaited<ReturnType<typeof runCapacity>>).deployment,
      steps: result.steps,
      arithmetic: math,
    },
    startedAt,
  );
  console.error(`wrote ${path}`);
}
console.error(`wrote ${flags.svg}`);
