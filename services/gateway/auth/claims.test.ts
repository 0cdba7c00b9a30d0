import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenTimeProblem } from "./claims.js";

const policy = { maxTtlS: 3600, clockSkewS: 60 };

test("a token is expired in the very millisecond of its exp, and good in the one before", () => {
  const claims = { iat: 1_000, exp: 1_002 };
  assert.equal(tokenTimeProblem(claims, policy, 1_002), "token expired");
  assert.equal(tokenTimeProblem(claims, policy, 1_002.001), "token expired");
  assert.equal(tokenTimeProblem(claims, policy, 1_001.999), undefined);
});
