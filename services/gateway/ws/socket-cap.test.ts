import assert from "node:assert/strict";
import { test } from "node:test";
import { createSocketCap } from "./socket-cap.js";

test("a user holds at most maxPerUser places; others are counted apart", () => {
  const cap = createSocketCap(2);
  assert.equal(cap.acquire("ann"), true);
  assert.equal(cap.acquire("ann"), true);
  assert.equal(cap.acquire("ann"), false);
  assert.equal(cap.held("ann"), 2);
  assert.equal(cap.acquire("bob"), true);
  cap.release("ann");
  assert.equal(cap.acquire("ann"), true);
});

test("releasing every place forgets the user", () => {
  const cap = createSocketCap(1);
  assert.equal(cap.acquire("ann"), true);
  cap.release("ann");
  assert.equal(cap.held("ann"), 0);
  assert.equal(cap.acquire("ann"), true);
});
