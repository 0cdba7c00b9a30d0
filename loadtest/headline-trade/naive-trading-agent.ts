import { Worker } from "bullmq";
import { eplTradeInput } from "../../services/gateway/agent-runs/epl-trade-route.js";
import { collectRun } from "../../services/gateway/agent-runs/finished-run.js";
import type { RunWatch } from "../../shared/bus/run-queue/run-queue.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import type { AgentEvent } from "../../shared/protocol/agent-frames.js";
import { createInProcessAgent } from "./in-process-agent.js";

/**
 * The plan's one shared agent doing ours' work: takes each job of the queue, runs the trading
 * agent with its tools on the job's fixture (the input `POST /api/epl/trade` gives ours) and
 * answers the finished run as ours does. A baseline of the same work, beside the one that does
 * none. argv: Redis URL, queue name, concurrency.
 */
const [redisUrl, queueName, concurrency] = process.argv.slice(2) as [string, string, string];
const epl = loadDataset();
const agent = await createInProcessAgent(epl);

/** The agent's frames numbered as a run's stream numbers them, for the gateway's own fold. */
function asWatch(events: AsyncIterable<AgentEvent>): RunWatch {
  return {
    async *[Symbol.asyncIterator]() {
      let seq = 0;
      for await (const event of events) yield { ...event, seq: ++seq };
    },
    close() {},
  };
}

const worker = new Worker(
  queueName,
  async (job) => {
    const requestId = String(job.id);
    const input = eplTradeInput(job.data, epl);
    return collectRun(requestId, asWatch(agent.run(input, "naive-user", requestId)));
  },
  { connection: { url: redisUrl }, concurrency: Number(concurrency) },
);
await worker.waitUntilReady();
process.send?.("ready");
