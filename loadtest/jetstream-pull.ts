import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { AckPolicy, type Consumer, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { deleteStreams } from "../test/support/service-process.js";
import { formatTable, writeResults } from "./lib/report.js";
import { ratio } from "./lib/stats.js";

/**
 * How fast one JetStream work-queue consumer hands out messages when pulled one at a time
 * (`consumer.next()`, what each lane of the agent worker does per run) against batched pulls
 * (`consumer.fetch({ max_messages })`), in alternating rounds of the same run. It isolates the
 * bus's part of the agent-run ceiling: a lane's throughput is 1 / (pull round trip).
 *
 *   npx tsx loadtest/jetstream-pull.ts [--messages 3000] [--batch 64] [--rounds 3]
 */
const { values: flags } = parseArgs({
  options: {
    messages: { type: "string", default: "3000" },
    batch: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const messages = Number(flags.messages);
const batch = Number(flags.batch);
const rounds = Number(flags.rounds);
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const prefix = `LT_${id}_`;
const stream = `${prefix}PULL`;
const subject = `lt${id}.pull`;

const nc = await connect({ servers: natsUrl });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);

async function fill(): Promise<Consumer> {
  await Promise.all(Array.from({ length: messages }, (_, i) => js.publish(subject, `{"n":${i}}`)));
  return js.consumers.get(stream, "pull");
}

async function timed(drain: (consumer: Consumer) => Promise<void>): Promise<number> {
  const consumer = await fill();
  const started = performance.now();
  await drain(consumer);
  return messages / ((performance.now() - started) / 1000);
}

const oneAtATime = async (consumer: Consumer) => {
  for (let taken = 0; taken < messages; taken++) {
    const msg = await consumer.next({ expires: 1000 });
    if (msg === null) throw new Error("stream ran dry early");
    msg.ack();
  }
};
const batched = async (consumer: Consumer) => {
  let taken = 0;
  while (taken < messages) {
    const fetched = await consumer.fetch({ max_messages: batch, expires: 1000 });
    for await (const msg of fetched) {
      msg.ack();
      taken += 1;
    }
  }
};

try {
  await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(stream, { durable_name: "pull", ack_policy: AckPolicy.Explicit });
  const results: { round: number; nextPerS: number; fetchPerS: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const nextPerS = await timed(oneAtATime);
    const fetchPerS = await timed(batched);
    results.push({ round, nextPerS, fetchPerS });
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const nextMedian = median(results.map((r) => r.nextPerS));
  const fetchMedian = median(results.map((r) => r.fetchPerS));
  console.log(
    formatTable(
      ["round", "next() msgs/s", `fetch(${batch}) msgs/s`, "ratio"],
      [
        ...results.map((r) => [
          String(r.round),
          r.nextPerS.toFixed(0),
          r.fetchPerS.toFixed(0),
          `${ratio(r.fetchPerS, r.nextPerS).toFixed(1)}x`,
        ]),
        [
          "median",
          nextMedian.toFixed(0),
          fetchMedian.toFixed(0),
          `${ratio(fetchMedian, nextMedian).toFixed(1)}x`,
        ],
      ],
    ),
  );
  const path = await writeResults("jetstream-pull", {
    benchmark: "jetstream-pull",
    command: `npx tsx loadtest/jetstream-pull.ts ${process.argv.slice(2).join(" ")}`.trim(),
    finishedAt: new Date().toISOString(),
    setup: { messages, batch, rounds },
    rounds: results,
    median: { nextPerS: nextMedian, fetchPerS: fetchMedian, ratio: ratio(fetchMedian, nextMedian) },
  });
  console.log(`\nwrote ${path}`);
} finally {
  await nc.close();
  await deleteStreams(prefix, natsUrl);
}
