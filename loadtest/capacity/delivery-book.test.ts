import assert from "node:assert/strict";
import { test } from "node:test";
import { createDeliveryBook } from "./delivery-book.js";

test("a socket that receives every event of its channel has no gap, and each latency is from publish", () => {
  const book = createDeliveryBook();
  const socket = book.track(10);
  for (const [seq, at] of [
    [12, 1000],
    [15, 1100],
    [19, 1200],
  ] as const) {
    book.observed("scores", seq, at, at + 1);
    book.received(socket, "scores", seq, at + 30, false);
  }
  // Another channel's seqs in between (the log's counter is shared) are not this socket's gap.
  book.observed("market.m1", 13, 1050, 1051);
  const result = book.result();
  assert.equal(result.gaps, 0);
  assert.deepEqual(Array.from(result.latencyMs), [30, 30, 30]);
});

test("an event the socket skipped is a gap; a skip under conflation is counted apart", () => {
  const book = createDeliveryBook();
  const socket = book.track(0);
  for (const seq of [1, 2, 3, 4, 5]) book.observed("market.m1", seq, 0, 0);
  book.received(socket, "market.m1", 1, 5, false);
  book.received(socket, "market.m1", 3, 5, false); // 2 missing
  book.received(socket, "market.m1", 5, 5, true); // 4 conflated away
  assert.equal(book.result().gaps, 1);
  assert.equal(book.result().conflated, 1);
});

test("a receipt ahead of the process's follower waits for it, then is checked", () => {
  const book = createDeliveryBook();
  const socket = book.track(0);
  book.observed("scores", 1, 100, 100);
  book.received(socket, "scores", 3, 150, false);
  assert.equal(book.result().latencyMs.length, 0, "not settled before the follower has seq 3");
  book.observed("scores", 2, 120, 160);
  book.observed("scores", 3, 140, 161);
  assert.equal(book.result().gaps, 2, "1 and 2 were skipped");
  assert.deepEqual(Array.from(book.result().latencyMs), [10]);
});

test("a duplicate or an older seq is out of order", () => {
  const book = createDeliveryBook();
  const socket = book.track(5);
  book.observed("scores", 6, 0, 0);
  book.received(socket, "scores", 6, 1, false);
  book.received(socket, "scores", 6, 2, false);
  book.received(socket, "scores", 4, 3, false);
  assert.equal(book.result().outOfOrder, 2);
});

test("the tail: events the follower had longer than the grace ago and the socket never got are missing, once", () => {
  const book = createDeliveryBook();
  const socket = book.track(0);
  book.observed("scores", 1, 0, 1000);
  book.observed("scores", 2, 0, 1500);
  book.observed("scores", 3, 0, 2900);
  book.received(socket, "scores", 1, 1010, false);
  const states = [{ channel: "scores", state: socket }];
  book.tail(states, 3000, 1000); // seq 2 is due (seen at 1500), seq 3 not yet
  assert.equal(book.result().gaps, 1);
  book.tail(states, 3000, 1000);
  assert.equal(book.result().gaps, 1, "not counted twice");
  // It arriving late after all does not count it again, nor does 3 arriving in time.
  book.received(socket, "scores", 3, 3100, false);
  assert.equal(book.result().gaps, 1);
});

test("reset starts a new step's figures; the sockets' positions carry on", () => {
  const book = createDeliveryBook();
  const socket = book.track(0);
  book.observed("scores", 1, 0, 0);
  book.observed("scores", 2, 0, 0);
  book.received(socket, "scores", 2, 1, false);
  book.reset();
  assert.equal(book.result().gaps, 0);
  assert.equal(book.result().latencyMs.length, 0);
  book.observed("scores", 3, 0, 0);
  book.received(socket, "scores", 3, 5, false);
  assert.equal(book.result().gaps, 0);
});
