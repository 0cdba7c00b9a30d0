import assert from "node:assert/strict";
import { test } from "node:test";
import { createRunIds } from "./run-ids.js";

test("a run id is owned by the user it was minted for, on any gateway with the same secret", () => {
  const minted = createRunIds("shared-secret-of-all-gateways").mint("alice");
  const otherGateway = createRunIds("shared-secret-of-all-gateways");
  assert.equal(otherGateway.owns(minted, "alice"), true);
  assert.equal(otherGateway.owns(minted, "bob"), false);
});

test("ids are unique, subject-safe, and unverifiable under another secret or when altered", () => {
  const ids = createRunIds("secret-one-secret-one");
  const a = ids.mint("alice");
  assert.notEqual(a, ids.mint("alice"));
  assert.match(a, /^[0-9a-f]{48}$/);
  assert.equal(createRunIds("secret-two-secret-two").owns(a, "alice"), false);
  const flipped = a.slice(0, -1) + (a.endsWith("0") ? "1" : "0");
  assert.equal(ids.owns(flipped, "alice"), false);
  assert.equal(ids.owns("not-a-run-id", "alice"), false);
});

test("a thousand ids in a row have a thousand different random parts", () => {
  const ids = createRunIds("secret-one-secret-one");
  const randomParts = new Set(Array.from({ length: 1000 }, () => ids.mint("alice").slice(0, 24)));
  assert.equal(randomParts.size, 1000);
});
