import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { createNatsRunQueue } from "../../shared/bus/run-queue/nats-run-queue.js";
import { runNames } from "../../shared/bus/run-queue/nats-run-streams.js";
import type { RunQueue } from "../../shared/bus/run-queue/run-queue.js";
import { defaultRunQueueOptions } from "../../shared/bus/run-queue/run-queue-defaults.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { teamForm } from "../../shared/epl/standings.js";
import type { AgentChunk } from "../../shared/protocol/agent-frames.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomBytes(4).toString("hex");
const streamPrefix = `W${id}_`;
const subjectPrefix = `w${id}.`;
let nc: NatsConnection;
let runQueue: RunQueue;
let worker: ChildProcess;
let database: Awaited<ReturnType<typeof createTempDatabase>>;

before(async () => {
  nc = await connectNats({ natsUrl }, `agent-worker-test-${id}`);
  runQueue = await createNatsRunQueue(nc, { ...defaultRunQueueOptions, streamPrefix, subjectPrefix });
  database = await createTempDatabase();
  worker = spawn(process.execPath, ["--import", "tsx", "services/agent-worker/main.ts"], {
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      DATABASE_URL: database.url,
      STREAM_PREFIX: streamPrefix,
      SUBJECT_PREFIX: subjectPrefix,
      ANTHROPIC_API_KEY: "",
      OFFLINE_TOKEN_DELAY_MS: "5",
      METRICS_PORT: "0",
      LOG_LEVEL: "silent",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
});

after(async () => {
  if (worker.exitCode === null) worker.kill("SIGKILL");
  await runQueue.close();
  const jsm = await jetstreamManager(nc);
  for (const stream of [...runNames(streamPrefix, subjectPrefix).streams, `${streamPrefix}LIVE`]) {
    await jsm.streams.delete(stream).catch(() => false);
  }
  await nc.close();
  await database.drop();
});

test("the worker process answers runs over JetStream and finishes its run before exiting on SIGTERM", async () => {
  const requestId = randomUUID();
  await runQueue.submit({
    v: 1,
    requestId,
    clientId: randomUUID(),
    userId: "user-main",
    tier: "pro",
    agent: "eplScoutAgent",
    input: "How do Arsenal and Chelsea compare?",
    submittedAt: Date.now(),
  });
  const exited = once(worker, "exit");
  const chunks: AgentChunk[] = [];
  for await (const chunk of runQueue.watch(requestId, 0)) {
    chunks.push(chunk);
    if (chunk.type === "agent.delta" && chunks.filter((c) => c.type === "agent.delta").length === 1) {
      worker.kill("SIGTERM");
    }
  }
  const text = chunks.flatMap((c) => (c.type === "agent.delta" ? [c.text] : [])).join("");
  const chelsea = teamForm(loadDataset(), "Chelsea FC", 5);
  assert.ok(text.includes(`Chelsea have taken ${chelsea.points} of 15 points`), text);
  const last = chunks.at(-1);
  assert.equal(last?.type === "agent.done" ? last.stopReason : last?.type, "end_turn");
  const [code] = await exited;
  assert.equal(code, 0);
});
