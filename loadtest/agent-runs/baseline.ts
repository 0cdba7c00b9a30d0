import type { ModelProvider } from "../../services/agent-worker/agent/model.js";
import type { ToolServices } from "../../services/agent-worker/agent/tool.js";
import type { AgentPool } from "../../services/agent-worker/agents/pool.js";
import type { Dataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import type { AgentName } from "../../shared/protocol/agents.js";
import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import { createRunTracker, drained, type PhaseMeasurements } from "./run-tracker.js";
import { runSpec } from "./workload.js";

export interface BaselineDeps {
  pool: AgentPool;
  /** The offline model at zero token delay, as the deployment's workers run it. */
  provider: ModelProvider;
  services: ToolServices;
  maxSteps: number;
}

/**
 * The services the benchmark's agents use, over the real results data: the dataset and the team
 * model. Every other service (exchange, live scores, journal) is absent on purpose, since the
 * workload never trades: a tool that reaches for one fails the run, counted as an error in the
 * results, so a workload change cannot silently measure less than it claims.
 */
export function baselineServices(epl: Dataset): ToolServices {
  const present: Record<string, unknown> = { epl, model: fitModel(epl) };
  return new Proxy(present, {
    get(target, key) {
      if (typeof key !== "string" || key === "then") return undefined;
      if (key in target) return target[key];
      throw new AppError("unavailable", `the in-process baseline has no ${String(key)} service`);
    },
  }) as unknown as ToolServices;
}

/**
 * The same runs at the same offered rate, called in this process: `agent.run` straight on the
 * shared pool, no gateway, bus or worker. What the distributed path adds is its latency minus
 * this one. There is no `agent.accepted` in-process, so `acceptedMs` stays empty.
 */
export async function runBaselinePhase(
  deps: BaselineDeps,
  params: {
    ratePerS: number;
    durationMs: number;
    startAt: number;
    drainMs: number;
    agents: readonly AgentName[];
  },
): Promise<PhaseMeasurements> {
  const tracker = createRunTracker();
  const offered = await runOpenLoop({
    ...params,
    fire(arrival, scheduledAt) {
      const { agent: name, input } = runSpec(arrival, params.agents);
      const agent = deps.pool.get(name)!;
      const probe = tracker.start(scheduledAt);
      const requestId = `baseline-${arrival}`;
      const userId = `lt-baseline-${arrival % 50}`;
      const signal = new AbortController().signal;
      void (async () => {
        for await (const event of agent.run(
          { input, userId, tier: "pro" },
          {
            provider: deps.provider,
            ctx: { userId, tier: "pro", requestId, services: deps.services },
            maxSteps: deps.maxSteps,
            signal,
          },
        )) {
          if (event.type === "agent.delta") probe.delta();
          else if (event.type === "agent.done") probe.done(event.stopReason);
          else if (event.type === "agent.error") probe.failed(event.code);
        }
      })().catch((err: unknown) => probe.failed(err instanceof Error ? err.message : "thrown"));
    },
  });
  await drained(tracker, epochNow() + params.drainMs);
  return tracker.result(offered);
}
