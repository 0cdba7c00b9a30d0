import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "./dataset.js";
import { inPlayProbabilities } from "./in-play.js";
import type { MarketKind } from "./markets.js";
import { decidedOutcome, marketId, marketKinds, marketPrices, winningOutcome } from "./markets.js";
import { fitModel } from "./model.js";

const data = loadDataset();
const kinds = Object.keys(marketKinds) as MarketKind[];

test("each market kind has the outcomes the exchange trades", () => {
  assert.deepEqual(kinds, ["1x2", "ou25", "btts"]);
  assert.deepEqual(marketKinds["1x2"].outcomes, ["home", "draw", "away"]);
  assert.deepEqual(marketKinds.ou25.outcomes, ["over", "under"]);
  assert.deepEqual(marketKinds.btts.outcomes, ["yes", "no"]);
});

test("prices cover exactly the market's outcomes and sum to 1, before and during a match", () => {
  const model = fitModel(data);
  const fixtures = data.matches.filter((m) => m.status === "scheduled").slice(0, 20);
  for (const m of fixtures) {
    const rates = model.rates(m.home, m.away);
    const states = [
      model.predict(m.home, m.away),
      inPlayProbabilities(rates, 63, { home: 2, away: 1 }),
      inPlayProbabilities(rates, 90, { home: 0, away: 0 }),
    ];
    for (const p of states) {
      for (const kind of kinds) {
        const prices = marketPrices(kind, p);
        assert.deepEqual(Object.keys(prices), [...marketKinds[kind].outcomes]);
        const total = Object.values(prices).reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(total - 1) < 1e-12, `${m.id} ${kind} sums to ${total}`);
        assert.ok(Object.values(prices).every((v) => v >= 0 && v <= 1));
      }
    }
  }
});

test("a market settles on the outcome the final score decides", () => {
  const cases: [{ home: number; away: number }, Record<MarketKind, string>][] = [
    [
      { home: 0, away: 0 },
      { "1x2": "draw", ou25: "under", btts: "no" },
    ],
    [
      { home: 2, away: 0 },
      { "1x2": "home", ou25: "under", btts: "no" },
    ],
    [
      { home: 2, away: 1 },
      { "1x2": "home", ou25: "over", btts: "yes" },
    ],
    [
      { home: 1, away: 1 },
      { "1x2": "draw", ou25: "under", btts: "yes" },
    ],
    [
      { home: 0, away: 3 },
      { "1x2": "away", ou25: "over", btts: "no" },
    ],
    [
      { home: 2, away: 2 },
      { "1x2": "draw", ou25: "over", btts: "yes" },
    ],
  ];
  for (const [score, expected] of cases) {
    for (const kind of kinds)
      assert.equal(winningOutcome(kind, score), expected[kind], `${kind} ${score.home}-${score.away}`);
  }
});

test("a market id is the match id and kind, usable as NATS subject tokens", () => {
  assert.equal(marketId("2025-26-arsenal-chelsea", "1x2"), "2025-26-arsenal-chelsea.1x2");
  assert.equal(marketId("2025-26-arsenal-chelsea", "ou25"), "2025-26-arsenal-chelsea.ou25");
  const token = /^[A-Za-z0-9-]+$/;
  for (const m of data.matches) {
    for (const kind of kinds) {
      const id = marketId(m.id, kind);
      assert.ok(
        id.split(".").every((t) => token.test(t)),
        id,
      );
      assert.ok(id.startsWith(`${m.id}.`));
    }
  }
  assert.throws(() => marketId("arsenal chelsea", "1x2"), /NATS subject/);
  assert.throws(() => marketId("2025-26.*", "btts"), /NATS subject/);
  assert.throws(() => marketId("", "btts"), /NATS subject/);
});

test("over 2.5 is decided by the third goal and both-teams-to-score by the second side's first, as full time would settle them", () => {
  const decided = (home: number, away: number) =>
    kinds.map((kind) => [kind, decidedOutcome(kind, { home, away })]);
  assert.deepEqual(decided(0, 0), [
    ["1x2", undefined],
    ["ou25", undefined],
    ["btts", undefined],
  ]);
  assert.deepEqual(decided(2, 0), [
    ["1x2", undefined],
    ["ou25", undefined],
    ["btts", undefined],
  ]);
  assert.deepEqual(decided(1, 1), [
    ["1x2", undefined],
    ["ou25", undefined],
    ["btts", "yes"],
  ]);
  assert.deepEqual(decided(3, 0), [
    ["1x2", undefined],
    ["ou25", "over"],
    ["btts", undefined],
  ]);
  assert.deepEqual(decided(2, 1), [
    ["1x2", undefined],
    ["ou25", "over"],
    ["btts", "yes"],
  ]);
  // A decided market settles on what full time would give it, whatever comes later.
  for (const [home, away] of [
    [3, 0],
    [1, 1],
    [2, 2],
    [0, 4],
  ] as const) {
    for (const kind of kinds) {
      const early = decidedOutcome(kind, { home, away });
      if (early !== undefined) assert.equal(early, winningOutcome(kind, { home: home + 1, away: away + 2 }));
    }
  }
});
