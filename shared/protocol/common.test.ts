import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { parseClientFrame } from "./client-frames.js";
import { namePattern, SafeId, SafeText, textPattern } from "./common.js";

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

describe('strings a client sends hold no control characters (docs/protocol.md "Validation")', () => {
  const ids = TypeCompiler.Compile(SafeId(64));
  const prose = TypeCompiler.Compile(SafeText({ minLength: 1, maxLength: 100 }));
  const refusedEverywhere = [
    "a\u0000b",
    "\u0001",
    "a\u001bb",
    "a\u007fb",
    "a\u0085b",
    "a\u009fb",
    "\ud800",
    "x\udc00",
  ];

  test("ids and names: printable text of any script is fine; control characters and lone surrogates are not", () => {
    for (const ok of ["m1", "2025-26-arsenal-chelsea.1x2", "a b", "Ünïcødé", "⚽ goal", "😀", "k:1/2"]) {
      assert.equal(ids.Check(ok), true, JSON.stringify(ok));
    }
    for (const bad of [...refusedEverywhere, "a\tb", "a\nb", "a\rb", ""]) {
      assert.equal(ids.Check(bad), false, JSON.stringify(bad));
    }
  });

  test("prose may break lines and hold tabs, nothing else of the kind", () => {
    for (const ok of ["line one\nline two", "a\tb\r\nc", "😀 fine"]) {
      assert.equal(prose.Check(ok), true, JSON.stringify(ok));
    }
    for (const bad of refusedEverywhere) assert.equal(prose.Check(bad), false, JSON.stringify(bad));
  });

  test("the patterns mean the same to a RegExp with the `u` flag", () => {
    for (const pattern of [namePattern, textPattern]) {
      const u = new RegExp(pattern, "u");
      assert.equal(u.test("😀 ok"), true);
      for (const bad of refusedEverywhere) assert.equal(u.test(bad), false, JSON.stringify(bad));
    }
  });

  test("the refusal says why, without the pattern", () => {
    const [error] = [...ids.Errors("a\u0000")];
    assert.equal(error?.message, "Expected text without control characters");
  });
});

test("a NUL in a frame's id, marketId or idempotencyKey is a bad request; a bad id is not echoed", () => {
  const trade = { type: "trade", id: "t1", marketId: "m", outcome: "home", side: "buy", shares: 1 };
  const cases: [Record<string, unknown>, string | undefined, RegExp][] = [
    [{ ...trade, marketId: "m\u0000" }, "t1", /marketId/],
    [{ ...trade, idempotencyKey: "k\u0000" }, "t1", /idempotencyKey/],
    [{ ...trade, outcome: "home\u0000" }, "t1", /outcome/],
    [{ ...trade, id: "t\u0000" }, undefined, /\/id/],
    [{ type: "ping", id: "p\u0000" }, undefined, /\/id/],
    [{ type: "agent.run", id: "r", agent: "supportAgent", input: "hi\u0000" }, "r", /input/],
    [
      { type: "agent.run", id: "r", agent: "supportAgent", input: "hi", context: { marketId: "\u0000" } },
      "r",
      /marketId/,
    ],
    [
      { type: "subscribe", id: "s", channels: ["scores"], since: { scores: { seq: 1, epoch: "e\u0000" } } },
      "s",
      /epoch/,
    ],
  ];
  for (const [frame, id, where] of cases) {
    const parsed = parseClientFrame(JSON.stringify(frame));
    assert.equal(parsed.ok, false, JSON.stringify(frame));
    if (parsed.ok) continue;
    assert.equal(parsed.error.code, "bad_request");
    assert.equal(parsed.id, id);
    assert.match(parsed.error.message, where);
    assert.match(parsed.error.message, /control characters/);
  }
  const multiline = { type: "agent.run", id: "r", agent: "supportAgent", input: "two\nlines\tand a tab" };
  assert.equal(parseClientFrame(JSON.stringify(multiline)).ok, true);
});
