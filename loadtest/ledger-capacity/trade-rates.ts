import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import { type Summary, summarize } from "../lib/stats.js";

export interface RateResult {
  offeredPerS: number;
  completed: number;
  /** Completions / max(duration, last completion − start): a backlog finishing late lowers it. */
  completedPerS: number;
  errors: number;
  errorCodes: Record<string, number>;
  /** From each arrival's scheduled time to its answer (no coordinated omission). */
  latencyMs: Summary;
  backendCpuMsPerOp: number;
  driverCpuMsPerOp: number;
}

/** Longest a phase waits for its last answers before counting the rest as errors. */
const drainMs = 30_000;

/**
 * `send` at `ratePerS` open-loop arrivals for `durationMs`, every arrival's latency measured from
 * when it was due, and the CPU the PostgreSQL backends (`backendCpu`, ms so far) and this process
 * used for the phase, per completed operation.
 */
export async function runRate(options: {
  ratePerS: number;
  durationMs: number;
  send: () => Promise<unknown>;
  backendCpu: () => Promise<number>;
}): Promise<RateResult> {
  const { ratePerS, durationMs, send, backendCpu } = options;
  const latencies: number[] = [];
  const errorCodes: Record<string, number> = {};
  const pending = new Set<Promise<void>>();
  let lastAt = 0;
  const pgBefore = await backendCpu();
  const cpuBefore = process.cpuUsage();
  const startAt = epochNow() + 100;
  await runOpenLoop({
    ratePerS,
    durationMs,
    startAt,
    fire(_arrival, due) {
      const done = send().then(
        () => {
          lastAt = epochNow();
          latencies.push(lastAt - due);
        },
        (err: { code?: string }) => {
          const code = err?.code ?? "error";
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        },
      );
      pending.add(done);
      void done.finally(() => pending.delete(done));
    },
  });
  const drained = Promise.all(pending);
  await Promise.race([drained, new Promise((r) => setTimeout(r, drainMs))]);
  const cpu = process.cpuUsage(cpuBefore);
  const pgMs = (await backendCpu()) - pgBefore;
  const unanswered = pending.size;
  if (unanswered > 0) errorCodes.unanswered = unanswered;
  const completed = latencies.length;
  return {
    offeredPerS: ratePerS,
    completed,
    completedPerS: completed / (Math.max(durationMs, lastAt - startAt) / 1000),
    errors: Object.values(errorCodes).reduce((a, b) => a + b, 0),
    errorCodes,
    latencyMs: summarize(latencies),
    backendCpuMsPerOp: pgMs / completed,
    driverCpuMsPerOp: (cpu.user + cpu.system) / 1000 / completed,
  };
}
