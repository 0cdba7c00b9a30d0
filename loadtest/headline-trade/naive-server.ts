import { Queue, QueueEvents } from "bullmq";
import express from "express";

/**
 * The plan's design of `POST /api/epl/trade`, as its documents draw it: Express puts the request
 * on a BullMQ queue in Redis and answers with the job's result once one shared agent has done it.
 * Compiled and started by headline-trade.ts; argv: port, Redis URL, queue name.
 */
const [port, redisUrl, queueName] = process.argv.slice(2) as [string, string, string];
const connection = { url: redisUrl };
const queue = new Queue(queueName, { connection });
const events = new QueueEvents(queueName, { connection });
await events.waitUntilReady();
// Every waiting request listens on the one QueueEvents (and the queue) until its job completes.
queue.setMaxListeners(0);
events.setMaxListeners(0);

const app = express();
app.use(express.json());
app.post("/api/epl/trade", async (req, res) => {
  try {
    const job = await queue.add("trade", req.body, { removeOnComplete: 1000, removeOnFail: 1000 });
    res.json(await job.waitUntilFinished(events, 30_000));
  } catch (err) {
    res.status(500).json({ error: { code: "internal", message: (err as Error).message } });
  }
});
app.listen(Number(port), "127.0.0.1", () => process.send?.("listening"));
