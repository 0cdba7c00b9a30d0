import { Worker } from "bullmq";

/**
 * The plan's one shared agent: takes each job of the queue and answers a fixed trade result,
 * doing no work. argv: Redis URL, queue name, concurrency.
 */
const [redisUrl, queueName, concurrency] = process.argv.slice(2) as [string, string, string];
const worker = new Worker(
  queueName,
  async (job) => ({
    requestId: job.id,
    agent: "eplTradingAgent",
    text: `Bought 10 home shares of ${job.data.homeTeam} v ${job.data.awayTeam} for 5.2 credits.`,
    stopReason: "end_turn",
  }),
  { connection: { url: redisUrl }, concurrency: Number(concurrency) },
);
await worker.waitUntilReady();
process.send?.("ready");
