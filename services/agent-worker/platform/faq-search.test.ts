import assert from "node:assert/strict";
import { test } from "node:test";
import { supportFaq } from "../agents/support-faq.js";
import { searchFaq } from "./faq-search.js";

const best = (question: string) => searchFaq(supportFaq, question, 1)[0]?.entry.question;

test("each question finds the FAQ entry that answers it", () => {
  assert.equal(best("Do you charge any fees?"), "Are there fees or commission?");
  assert.equal(best("What does pro give me over free?"), "What do the free and pro tiers get?");
  assert.equal(best("When do winning shares pay out?"), "How and when are markets settled?");
  assert.equal(
    best("My wifi dropped while the agent was answering"),
    "What if my connection drops during an agent run?",
  );
  assert.equal(best("Why is the market suspended after a goal?"), "Why is a market suspended?");
});

test("a question the FAQ knows nothing of finds nothing", () => {
  assert.deepEqual(searchFaq(supportFaq, "xyzzy plugh", 2), []);
});

test("the FAQ states the configured defaults", () => {
  const tiers = supportFaq.find((e) => e.question === "What do the free and pro tiers get?")!;
  assert.match(
    tiers.answer,
    /Free accounts may start 10 agent runs a minute with 2 running at once and place 5 trades a second/,
  );
  assert.match(tiers.answer, /pro accounts get 60 runs a minute, 8 at once and 20 trades a second/);
});
