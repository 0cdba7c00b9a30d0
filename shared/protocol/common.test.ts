import assert from "node:assert/strict";
import { test } from "node:test";
import { parseClientFrame } from "./client-frames.js";

const quote = (shares: unknown) =>
  JSON.stringify({ type: "quote", id: "q1", marketId: "m", outcome: "home", side: "buy", shares });

test("shares with up to two decimals are accepted, including values binary floats cannot hold", () => {
  for (const shares of [1, 10, 0.01, 0.1, 1.1, 12.34, 99.99, 1000000]) {
    assert.equal(parseClientFrame(quote(shares)).ok, true, `shares ${shares}`);
  }
});

test("shares with three decimals, zero, negatives, strings and huge values are bad requests", () => {
  for (const shares of [1.001, 0, -1, "10", 1e7, null]) {
    const parsed = parseClientFrame(quote(shares));
    assert.equal(parsed.ok, false, `shares ${shares}`);
    if (!parsed.ok) {
      assert.equal(parsed.error.code, "bad_request");
      assert.equal(parsed.id, "q1");
      assert.match(parsed.error.message, /shares/);
    }
  }
});

test("a trade's maxCost is credits: zero allowed, three decimals refused", () => {
  const trade = (maxCost: number) =>
    JSON.stringify({
      type: "trade",
      id: "t",
      marketId: "m",
      outcome: "home",
      side: "buy",
      shares: 5,
      maxCost,
    });
  assert.equal(parseClientFrame(trade(0)).ok, true);
  assert.equal(parseClientFrame(trade(12.5)).ok, true);
  const bad = parseClientFrame(trade(12.345));
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.error.message, /at most 2 decimals/);
});

test("malformed JSON, a non-object and an unknown type get their codes", () => {
  const cases: [string, string][] = [
    ["{", "bad_request"],
    ["[1]", "bad_request"],
    ['{"id":"x"}', "bad_request"],
    ['{"type":"launch","id":"x"}', "unknown_type"],
  ];
  for (const [text, code] of cases) {
    const parsed = parseClientFrame(text);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.equal(parsed.error.code, code, text);
  }
});
