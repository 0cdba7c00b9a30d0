import assert from "node:assert/strict";
import { test } from "node:test";
import { AppError } from "../../shared/errors.js";
import { createFrameWriter } from "./frame-writer.js";

/** Rejections nobody handled while `body` ran and for a few turns after it. */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    await body();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return seen;
}

test("a frame the bus refuses, with nothing sent after it, is a failure to read, not an unhandled rejection", async () => {
  // The worker stops at `failure` and never calls send/flush again: a rejection left in the
  // writer's chain would kill the process (a NATS restart killed agent workers this way).
  const lost = new AppError("unavailable", "NATS connection lost");
  const writer = createFrameWriter(() => Promise.reject(lost), 0);
  const unhandled = await unhandledDuring(async () => {
    writer.frame({ type: "agent.tool", callId: "c1", name: "table", status: "started" });
    writer.delta("text");
  });
  assert.deepEqual(unhandled, []);
  assert.equal(writer.failure, lost);
  await assert.rejects(writer.flush(), lost);
});

test("frames are stored in order and send resolves once they all are", async () => {
  const stored: string[] = [];
  const writer = createFrameWriter(async (event) => {
    stored.push(event.type === "agent.delta" ? `delta:${event.text}` : event.type);
  }, 5);
  writer.delta("a");
  writer.delta("b");
  writer.frame({ type: "agent.tool", callId: "c1", name: "table", status: "started" });
  await writer.send({
    type: "agent.done",
    stopReason: "end_turn",
    usage: { inputTokens: 1, outputTokens: 1 },
  });
  assert.deepEqual(stored, ["delta:ab", "agent.tool", "agent.done"]);
});
