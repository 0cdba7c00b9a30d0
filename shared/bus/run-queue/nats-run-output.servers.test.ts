import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import type { AgentChunk } from "../../protocol/agent-frames.js";
import { connectNats } from "../nats/nats-connection.js";
import { createNatsReplies, type NatsReplies } from "../nats/nats-replies.js";
import { createRunOutput } from "./nats-run-output.js";
import { ensureRunStreams, runNames } from "./nats-run-streams.js";
import { defaultRunQueueOptions, publishRetryWindowMs, workingEveryMs } from "./run-queue-defaults.js";

/**
 * An `AGENT_OUT` publish stored by JetStream whose ack never came back, as during a leader
 * election of a 3-node cluster (docs/operations.md, "Losing one node"). The ack is dropped around
 * the real publish: an election cannot be timed to one publish.
 */
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const suffix = randomBytes(4).toString("hex");
const names = runNames(`O${suffix}_`, `o${suffix}.`);
let nc: NatsConnection;
let replies: NatsReplies;

before(async () => {
  nc = await connectNats({ natsUrl }, "run-output-test");
  await ensureRunStreams(await jetstreamManager(nc), names, defaultRunQueueOptions);
  replies = createNatsReplies(nc, { what: "agent bus", closedMessage: "closed" });
});

after(async () => {
  replies.close();
  const jsm = await jetstreamManager(nc);
  for (const stream of names.streams) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

/** The real publishes, each of the first `lost` losing its ack after it was stored. */
function losingAcks(lost: number): NatsReplies {
  let toLose = lost;
  return {
    ...replies,
    async publishStored(subject, data, options) {
      const ack = await replies.publishStored(subject, data, options);
      if (toLose-- > 0) throw new AppError("unavailable", `no reply from ${subject}`);
      return ack;
    },
  };
}

async function storedMessages(requestId: string): Promise<number> {
  const subject = names.outSubject(requestId);
  const info = await (await jetstreamManager(nc)).streams.info(names.outStream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

test("a frame whose ack was lost is sent again and stored once; the run goes on", async () => {
  const requestId = `run-${randomBytes(4).toString("hex")}`;
  const output = createRunOutput(nc, await jetstreamManager(nc), losingAcks(2), names, {
    publishRetryWindowMs: publishRetryWindowMs(defaultRunQueueOptions.ackWaitMs),
  });
  const emit = output.writer(requestId, 0);
  await emit({ type: "agent.delta", text: "Arsenal lead" });
  await emit({ type: "agent.delta", text: " the table." });
  await emit({ type: "agent.done", stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 2 } });

  const chunks: AgentChunk[] = [];
  for await (const chunk of output.watch(requestId, 0, false)) chunks.push(chunk);
  assert.deepEqual(
    chunks.map((c) => [c.seq, c.type]),
    [
      [1, "agent.delta"],
      [2, "agent.delta"],
      [3, "agent.done"],
    ],
  );
  assert.equal(await storedMessages(requestId), 3, "each message stored once");
});

test("a frame that gets no ack for the whole retry window fails the run's output", async () => {
  const requestId = `run-${randomBytes(4).toString("hex")}`;
  const output = createRunOutput(nc, await jetstreamManager(nc), losingAcks(100), names, {
    publishRetryWindowMs: 1000,
  });
  const emit = output.writer(requestId, 0);
  await assert.rejects(
    emit({ type: "agent.delta", text: "x" }),
    (err: AppError) => err.code === "unavailable",
  );
  assert.equal(await storedMessages(requestId), 1, "the tries were one message");
});

test("an attempt gives its output up before its run can be delivered to another worker", () => {
  // The server redelivers `ackWaitMs` after the last `working()` it heard, at most one renewal
  // before a publish first fails: a window reaching past that would let two attempts write at once.
  for (const ackWaitMs of [400, 1500, 10_000, 30_000, 120_000]) {
    const window = publishRetryWindowMs(ackWaitMs);
    assert.ok(window > 0, `ack wait ${ackWaitMs}: a window of ${window} ms`);
    assert.ok(
      workingEveryMs(ackWaitMs) + window < ackWaitMs,
      `ack wait ${ackWaitMs}: renewal ${workingEveryMs(ackWaitMs)} + window ${window} ms`,
    );
  }
  // The production default still spans a leader election of a 3-node cluster (5–6 s measured).
  assert.ok(publishRetryWindowMs(defaultRunQueueOptions.ackWaitMs) >= 7000);
});
