import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedQueue } from "./bounded-queue.js";
import { ConsumerTooSlowError } from "./errors.js";

test("a consumer that falls behind gets what was buffered, then ConsumerTooSlowError, and the producer is told to stop", async () => {
  let stopped = 0;
  const queue = new BoundedQueue<number>(3, () => stopped++);
  for (const n of [1, 2, 3]) assert.equal(queue.push(n), true);
  assert.equal(queue.push(4), false, "the fourth does not fit");
  assert.equal(stopped, 1);
  const read: number[] = [];
  await assert.rejects(async () => {
    for await (const n of queue) read.push(n);
  }, ConsumerTooSlowError);
  assert.deepEqual(read, [1, 2, 3]);
  assert.equal(queue.push(5), false, "nothing is taken after the failure");
});

test("a consumer waiting for the next item gets it at once, and break stops the producer", async () => {
  let stopped = 0;
  const queue = new BoundedQueue<string>(1, () => stopped++);
  const next = queue.next();
  assert.equal(queue.push("a"), true);
  assert.deepEqual(await next, { value: "a", done: false });
  queue.push("b");
  for await (const item of queue) {
    assert.equal(item, "b");
    break;
  }
  assert.equal(stopped, 1);
  assert.equal(queue.push("c"), false);
});
