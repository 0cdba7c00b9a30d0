import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./nats-connection.js";
import { createNatsRunQueue } from "./nats-run-queue.js";
import { runNames } from "./nats-run-streams.js";
import { runQueueContract } from "./run-queue.contract.js";
import type { RunQueue } from "./run-queue.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

runQueueContract("nats", async (options) => {
  const id = randomBytes(4).toString("hex");
  const streamPrefix = `T${id}_`;
  const subjectPrefix = `t${id}.`;
  const opened: { nc: NatsConnection; queue: RunQueue }[] = [];
  return {
    // Each open is another process: its own connection to the same streams.
    async open() {
      const nc = await connectNats({ natsUrl }, `run-queue-test-${id}`);
      const queue = await createNatsRunQueue(nc, { ...options, streamPrefix, subjectPrefix });
      opened.push({ nc, queue });
      return queue;
    },
    async dispose() {
      for (const { queue } of opened) await queue.close();
      const nc = opened[0]?.nc;
      if (nc !== undefined) {
        const jsm = await jetstreamManager(nc);
        for (const stream of runNames(streamPrefix, subjectPrefix).streams) {
          await jsm.streams.delete(stream).catch(() => false);
        }
      }
      await Promise.all(opened.map(({ nc }) => nc.close()));
    },
  };
});
