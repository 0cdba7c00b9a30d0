import assert from "node:assert/strict";
import { test } from "node:test";
import { countTokens, splitTokens } from "./words.js";

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
