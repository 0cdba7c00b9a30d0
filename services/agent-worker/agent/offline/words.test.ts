import assert from "node:assert/strict";
import { test } from "node:test";
import { countJsonTokens, countTokens, splitTokens } from "./words.js";

test("usage counts the words a reader sees, whatever separates them", () => {
  const samples = [
    "",
    "   ",
    "Arsenal",
    "  Arsenal lead\tthe table\n\nby 3 points. ",
    'JSON: {"team":"Arsenal","points":[1,2,3]}',
    "no\u00a0break\u2028line\u3000wide\ufeffmark\u2009thin",
    "naïve café — Señor, ½ 🏆 trophy",
  ];
  for (const text of samples) {
    assert.equal(countTokens(text), text.match(/\S+/g)?.length ?? 0, JSON.stringify(text));
  }
});

test("the tokens streamed rebuild the text, each with the spaces before it", () => {
  const text = "Arsenal  lead\nthe table.";
  const tokens = splitTokens(text);
  assert.deepEqual(tokens, ["Arsenal", "  lead", "\nthe", " table."]);
  assert.equal(tokens.join(""), text);
});

test("a value's JSON is counted as the JSON text itself would be, without writing it", () => {
  const spaces = [
    " ",
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "\u00a0",
    "\u1680",
    "\u2003",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
  ];
  class Box {
    constructor(readonly label: string) {}
  }
  const samples: unknown[] = [
    { role: "user", content: "Analyse Arsenal v Chelsea:  markets\nand form." },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "t1", name: "findMarkets", input: { teams: "Arsenal v Chelsea" } }],
    },
    {
      "key with spaces": [1, null, undefined, () => 1, "a\tb", { nested: " lead trail " }],
      skipped: undefined,
    },
    ["", " ", "  ", "\n\n", "x \u2028 y"],
    { when: new Date(0), nan: Number.NaN, box: new Box("two words"), bool: true },
    "top level string",
    42,
    null,
  ];
  // Strings of words and every kind of whitespace, nested at random (a fixed seed: the same cases each run).
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const text = () =>
    Array.from({ length: next(6) }, () => (next(2) ? spaces[next(spaces.length)] : "w")).join("");
  const value = (depth: number): unknown => {
    const kind = next(depth > 3 ? 3 : 5);
    if (kind === 0) return text();
    if (kind === 1) return next(3) === 0 ? undefined : next(100);
    if (kind === 2) return null;
    if (kind === 3) return Array.from({ length: next(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: next(4) }, () => [text(), value(depth + 1)]));
  };
  for (let i = 0; i < 500; i++) samples.push({ [text()]: value(0) }, [value(0), value(1)]);
  for (const sample of samples) {
    assert.equal(countJsonTokens(sample), countTokens(JSON.stringify(sample)), JSON.stringify(sample));
  }
});
