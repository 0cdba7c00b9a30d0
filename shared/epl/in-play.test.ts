import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "./dataset.js";
import { elapsedGoalShare, inPlayProbabilities } from "./in-play.js";
import { fitModel } from "./model.js";

const data = loadDataset();
const model = fitModel(data);
const rates = model.rates("Arsenal FC", "Chelsea FC");

test("at kick-off with no score the in-play prices are the pre-match ones", () => {
  const pre = model.predict("Arsenal FC", "Chelsea FC");
  const live = inPlayProbabilities(rates, 0, { home: 0, away: 0 });
  for (const key of ["home", "draw", "away", "over25", "under25", "bttsYes", "bttsNo"] as const) {
    assert.ok(Math.abs(live[key] - pre[key]) < 1e-12, key);
  }
});

test("a home goal raises the home side's chances; time running out at 0-0 raises the draw", () => {
  const level = inPlayProbabilities(rates, 30, { home: 0, away: 0 });
  const ahead = inPlayProbabilities(rates, 30, { home: 1, away: 0 });
  assert.ok(ahead.home > level.home + 0.15);
  assert.ok(ahead.away < level.away);
  let previous = inPlayProbabilities(rates, 0, { home: 0, away: 0 });
  for (let minute = 10; minute < 90; minute += 10) {
    const now = inPlayProbabilities(rates, minute, { home: 0, away: 0 });
    assert.ok(now.draw > previous.draw && now.over25 < previous.over25, `minute ${minute}`);
    previous = now;
  }
  const late = inPlayProbabilities(rates, 88, { home: 1, away: 0 });
  assert.ok(late.home > 0.9, `1-0 at 88' ${late.home}`);
});

test("from minute 90 the result is certain", () => {
  for (const minute of [90, 94]) {
    const p = inPlayProbabilities(rates, minute, { home: 2, away: 1 });
    assert.deepEqual(
      [p.home, p.draw, p.away, p.over25, p.under25, p.bttsYes, p.bttsNo],
      [1, 0, 0, 1, 0, 1, 0],
    );
    assert.deepEqual(p.expectedGoals, { home: 2, away: 1 });
  }
  const goalless = inPlayProbabilities(rates, 90, { home: 0, away: 0 });
  assert.deepEqual([goalless.draw, goalless.under25, goalless.bttsNo], [1, 1, 1]);
});

test("probabilities stay in [0, 1] and each market sums to 1 through any match state", () => {
  for (const r of [rates, { home: 0, away: 0 }, { home: 4.5, away: 0.2 }]) {
    for (let minute = 0; minute <= 95; minute += 5) {
      for (const score of [
        { home: 0, away: 0 },
        { home: 3, away: 2 },
        { home: 0, away: 5 },
      ]) {
        const p = inPlayProbabilities(r, minute, score);
        for (const v of [p.home, p.draw, p.away, p.over25, p.under25, p.bttsYes, p.bttsNo]) {
          assert.ok(v >= 0 && v <= 1, `${minute}' ${score.home}-${score.away}: ${v}`);
        }
        assert.ok(Math.abs(p.home + p.draw + p.away - 1) < 1e-12);
        assert.ok(Math.abs(p.over25 + p.under25 - 1) < 1e-12);
        assert.ok(Math.abs(p.bttsYes + p.bttsNo - 1) < 1e-12);
      }
    }
  }
  assert.throws(() => inPlayProbabilities(rates, Number.NaN, { home: 0, away: 0 }), /minute/);
  assert.throws(() => inPlayProbabilities(rates, 10, { home: -1, away: 0 }), /score/);
  assert.throws(() => inPlayProbabilities({ home: -1, away: 1 }, 10, { home: 0, away: 0 }), /rate/);
});

test("the intensity profile rises through the match and matches the data's first-half share", () => {
  assert.equal(elapsedGoalShare(0), 0);
  assert.equal(elapsedGoalShare(90), 1);
  assert.ok(
    elapsedGoalShare(15) < 1 - elapsedGoalShare(75),
    "the last 15 minutes hold more goals than the first",
  );
  let firstHalf = 0;
  let total = 0;
  for (const m of data.matches) {
    if (!m.fullTime) continue;
    firstHalf += m.halfTime!.home + m.halfTime!.away;
    total += m.fullTime.home + m.fullTime.away;
  }
  assert.ok(Math.abs(elapsedGoalShare(45) - firstHalf / total) < 0.01, `data ${firstHalf / total}`);
});
