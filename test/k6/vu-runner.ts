import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { runtime, whenIdle } from "./standins/runtime.js";

/**
 * Runs a k6 script in Node the way k6 runs it, on the stand-ins: `__ENV`, `__VU` and `__ITER` as
 * globals, `setup()` once (its data passed to every iteration as a JSON copy), then iterations of
 * the default function one VU at a time, each ending when the function has returned and nothing
 * it started (sockets, timers) is pending.
 */
let installed = false;

/** Maps the `k6…` imports to test/k6/standins/ for every module loaded from now on. */
export function installStandins(): void {
  if (installed) return;
  installed = true;
  register("./k6-hooks.mjs", import.meta.url);
}

export interface K6Script {
  options: { thresholds?: Record<string, string[]>; scenarios?: Record<string, { executor: string }> };
  setup?: () => unknown;
  default: (data: unknown) => unknown;
}

const globals = globalThis as unknown as { __ENV: Record<string, string>; __VU: number; __ITER: number };

/** Imports a script with `env` as its `__ENV` (read when its modules first load). */
export async function loadScript(path: string, env: Record<string, string>): Promise<K6Script> {
  globals.__ENV = env;
  globals.__VU = 0;
  globals.__ITER = 0;
  return (await import(pathToFileURL(path).href)) as K6Script;
}

/** Clears what earlier runs recorded; the metrics the scripts created stay defined. */
export function resetRecords(): void {
  runtime.sent.length = 0;
  runtime.checks.length = 0;
  runtime.errors.length = 0;
  for (const metric of runtime.metrics.values()) metric.samples.length = 0;
}

export async function runScript(
  script: K6Script,
  plan: { vus: number; iterations: number; iterationTimeoutMs: number },
): Promise<void> {
  globals.__VU = 0;
  const data = JSON.stringify((await script.setup?.()) ?? null);
  await whenIdle();
  for (let vu = 1; vu <= plan.vus; vu++) {
    for (let iteration = 0; iteration < plan.iterations; iteration++) {
      globals.__VU = vu;
      globals.__ITER = iteration;
      await withTimeout(
        (async () => {
          await script.default(JSON.parse(data));
          await whenIdle();
        })(),
        plan.iterationTimeoutMs,
        `VU ${vu} iteration ${iteration} did not end`,
      );
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Samples of a metric the script created, as numbers (a Rate's are 1 and 0). */
export function samples(name: string): number[] {
  const metric = runtime.metrics.get(name);
  if (metric === undefined) throw new Error(`the script created no metric ${name}`);
  return metric.samples.map((s) => s.value);
}

/** The frames the script sent over WebSockets (parsed), in order. */
export function sentFrames(): Record<string, unknown>[] {
  return runtime.sent.filter((s) => s.kind === "ws").map((s) => s.value as Record<string, unknown>);
}

/** Every frame or request the protocol check refused, with why. */
export function violations(): string[] {
  return runtime.sent
    .filter((s) => s.violation !== undefined)
    .map((s) => `${s.kind} ${JSON.stringify(s.value)}: ${s.violation}`);
}

const builtinMetrics: Record<string, string> = {
  http_req_duration: "trend",
  http_req_waiting: "trend",
  http_req_failed: "rate",
  http_reqs: "counter",
  iteration_duration: "trend",
  iterations: "counter",
  checks: "rate",
  ws_connecting: "trend",
  ws_session_duration: "trend",
  ws_msgs_sent: "counter",
  ws_msgs_received: "counter",
};

/** The aggregations k6 allows in a threshold on each kind of metric. */
const aggregations: Record<string, RegExp> = {
  trend: /^(avg|min|max|med|p\(\d+(\.\d+)?\))$/,
  rate: /^rate$/,
  counter: /^(count|rate)$/,
  gauge: /^value$/,
};

/**
 * What k6 would refuse in the script's thresholds: a metric that does not exist (k6 stops before
 * the test starts), or an aggregation or expression its kind of metric does not have.
 */
export function thresholdProblems(script: K6Script): string[] {
  const problems: string[] = [];
  for (const [key, expressions] of Object.entries(script.options.thresholds ?? {})) {
    const name = key.split("{")[0]!;
    const kind = runtime.metrics.get(name)?.kind ?? builtinMetrics[name];
    if (kind === undefined) {
      problems.push(`${key}: no metric ${name}`);
      continue;
    }
    for (const expression of expressions) {
      const match = /^\s*(\S+)\s*(<=|<|>=|>|===|==|!=)\s*(-?\d+(\.\d+)?)\s*$/.exec(expression);
      if (match === null) problems.push(`${key}: "${expression}" is not "aggregation operator number"`);
      else if (!aggregations[kind]!.test(match[1]!)) problems.push(`${key}: ${kind} has no ${match[1]}`);
    }
  }
  return problems;
}
