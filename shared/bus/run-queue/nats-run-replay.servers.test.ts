import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { until } from "../../../test/support/polling.js";
import type { AgentChunk } from "../../protocol/agent-frames.js";
import { connectNats } from "../nats/nats-connection.js";
import { createNatsReplies, type NatsReplies } from "../nats/nats-replies.js";
import { createRunOutput } from "./nats-run-output.js";
import { ensureRunStreams, runNames } from "./nats-run-streams.js";
import { defaultRunQueueOptions } from "./run-queue-defaults.js";

/**
 * A resume whose direct gets reach a replica that has not caught up: nats-server 2.9 lets a node
 * restarted after a node loss answer direct gets before it holds what was stored while it was
 * down (docs/operations.md, "Losing one node"). Which replica answers a direct get is the
 * server's choice, so the stale replica is a view over the real stream that hides some of its
 * messages; reads of the stream leader go to the real server.
 */
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const suffix = randomBytes(4).toString("hex");
const names = runNames(`R${suffix}_`, `r${suffix}.`);
let nc: NatsConnection;
let jsm: JetStreamManager;
let replies: NatsReplies;

before(async () => {
  nc = await connectNats({ natsUrl }, "run-replay-test");
  jsm = await jetstreamManager(nc);
  await ensureRunStreams(jsm, names, defaultRunQueueOptions);
  replies = createNatsReplies(nc, { what: "agent bus", closedMessage: "closed" });
});

after(async () => {
  replies.close();
  for (const stream of names.streams) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

/**
 * `jsm` whose direct gets answer as a replica without the stream's messages from `missingFrom`
 * (a stream seq) on: up to `missingTo` when given, the newest ones otherwise. `unanswered` makes
 * every direct get fail instead, as one sent to a replica that does not answer.
 */
function staleReplica(view: { missingFrom: number; missingTo?: number } | "unanswered"): JetStreamManager {
  const getMessage = async (stream: string, query: { seq: number; next_by_subj: string }) => {
    if (view === "unanswered") throw new Error("timeout");
    const found = await jsm.direct.getMessage(stream, query);
    if (found === null || found.seq < view.missingFrom) return found;
    if (view.missingTo === undefined) return null;
    return found.seq > view.missingTo
      ? found
      : jsm.direct.getMessage(stream, { ...query, seq: view.missingTo + 1 });
  };
  return { streams: jsm.streams, direct: { getMessage } } as unknown as JetStreamManager;
}

/** Stores a finished run of `deltas` deltas, one message each; returns its requestId and stream seqs. */
async function storeRun(deltas: number): Promise<{ requestId: string; seqs: number[] }> {
  const requestId = `run-${randomBytes(4).toString("hex")}`;
  const seqs: number[] = [];
  for (let seq = 1; seq <= deltas + 1; seq++) {
    const chunk =
      seq <= deltas
        ? { type: "agent.delta", text: `part ${seq}`, seq }
        : { type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 2 }, seq };
    seqs.push((await replies.publishStored(names.outSubject(requestId), JSON.stringify([chunk]))).seq);
  }
  return { requestId, seqs };
}

/** Every chunk a resume from the start gets; fails unless the run's end arrives within 10 s. */
async function resume(view: JetStreamManager, requestId: string): Promise<AgentChunk[]> {
  const chunks: AgentChunk[] = [];
  let ended = false;
  const watch = createRunOutput(nc, view, replies, names, { publishRetryWindowMs: 1000 }).watch(
    requestId,
    0,
    false,
  );
  void (async () => {
    for await (const chunk of watch) chunks.push(chunk);
    ended = true;
  })();
  await until(() => ended, 10_000, `the end of run ${requestId}`).finally(() => watch.close());
  return chunks;
}

const shape = (chunks: AgentChunk[]) => chunks.map((c) => `${c.seq}:${c.type}`);
const expected = (deltas: number) => [
  ...Array.from({ length: deltas }, (_, i) => `${i + 1}:agent.delta`),
  `${deltas + 1}:agent.done`,
];

test("a replica without some of the run's messages: the resume gets every chunk, in order", async () => {
  const { requestId, seqs } = await storeRun(6);
  const chunks = await resume(staleReplica({ missingFrom: seqs[2]!, missingTo: seqs[4]! }), requestId);
  assert.deepEqual(shape(chunks), expected(6));
});

test("a replica without the newest messages: the resume of a finished run reaches its end", async () => {
  const { requestId, seqs } = await storeRun(4);
  const chunks = await resume(staleReplica({ missingFrom: seqs[3]! }), requestId);
  assert.deepEqual(shape(chunks), expected(4));
});

test("direct gets that go unanswered: the resume reads from the stream leader", async () => {
  const { requestId } = await storeRun(3);
  const chunks = await resume(staleReplica("unanswered"), requestId);
  assert.deepEqual(shape(chunks), expected(3));
});
