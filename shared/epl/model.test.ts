import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset, Match } from "./dataset.js";
import { loadDataset } from "./dataset.js";
import { winningOutcome } from "./markets.js";
import { fitModel } from "./model.js";
import { isPlayed } from "./standings.js";

const data = loadDataset();
const firstKickoff = (season: Match["season"], round = 1) =>
  data.matches.find((m) => m.season === season && m.round >= round)!.kickoff;

test("fitting every match is fast, deterministic and finds a home advantage", () => {
  const started = performance.now();
  const model = fitModel(data);
  assert.ok(performance.now() - started < 1000, "a full fit takes well under a second");
  assert.deepEqual(model.teams, data.teams);
  assert.ok(model.homeAdvantage > 0.05 && model.homeAdvantage < 0.5, `home advantage ${model.homeAdvantage}`);
  assert.equal(model.rho, 0);
  assert.deepEqual(
    fitModel(data).predict("Arsenal FC", "Chelsea FC"),
    model.predict("Arsenal FC", "Chelsea FC"),
  );
});

test("a strong team is favoured over a weak one, at home and away", () => {
  const model = fitModel(data, { before: firstKickoff("2025-26") });
  const strongAtHome = model.predict("Liverpool FC", "Southampton FC");
  assert.ok(strongAtHome.home > 0.65, `Liverpool at home ${strongAtHome.home}`);
  assert.ok(strongAtHome.expectedGoals.home > 2 * strongAtHome.expectedGoals.away);
  const strongAway = model.predict("Southampton FC", "Liverpool FC");
  assert.ok(strongAway.away > strongAway.home, "the stronger side is favoured even away");
  const even = model.predict("Brentford FC", "Brentford FC");
  assert.ok(even.home > even.away, "equal sides: home advantage decides");
});

test("only matches kicked off before `before` shape the fit", () => {
  const before = firstKickoff("2024-25", 20);
  const rewritten: Dataset = {
    ...data,
    matches: data.matches.map((m) =>
      m.kickoff >= before && m.fullTime
        ? { ...m, fullTime: { home: 9, away: 0 }, halfTime: { home: 5, away: 0 } }
        : m,
    ),
  };
  const original = fitModel(data, { before }).predict("Arsenal FC", "Everton FC");
  assert.deepEqual(fitModel(rewritten, { before }).predict("Arsenal FC", "Everton FC"), original);
  assert.notDeepEqual(
    fitModel(rewritten).predict("Arsenal FC", "Everton FC"),
    fitModel(data).predict("Arsenal FC", "Everton FC"),
  );
});

test("promoted teams without history get the weak promoted-team prior, and unknown names throw", () => {
  const model = fitModel(data, { before: firstKickoff("2025-26") });
  // Leeds and Sunderland have no match in the window: both sit exactly on the prior.
  assert.deepEqual(model.rates("Leeds United FC", "Arsenal FC"), model.rates("Sunderland AFC", "Arsenal FC"));
  for (const promoted of ["Leeds United FC", "Sunderland AFC", "Burnley FC"]) {
    const atHome = model.predict(promoted, "Brentford FC");
    const away = model.predict("Brentford FC", promoted);
    assert.ok(away.home > atHome.home, `${promoted} is weaker than mid-table Brentford`);
  }
  for (const team of data.teams) {
    const p = model.predict(team, "Arsenal FC");
    assert.ok(Number.isFinite(p.home) && p.home > 0 && p.home < 1, team);
  }
  assert.throws(() => model.predict("Arsenal FC", "Real Madrid"), /unknown team "Real Madrid"/);
  assert.throws(() => model.rates("Gotham FC", "Arsenal FC"), /unknown team "Gotham FC"/);
  assert.throws(() => fitModel(data, { before: "2023-01-01T00:00:00Z" }), /no finished matches/);
  assert.throws(() => fitModel(data, { halfLifeDays: 0 }), /halfLifeDays/);
});

test("out of sample, the model beats the league base rates on 2024-25's second half (1X2 log-loss)", () => {
  const before = firstKickoff("2024-25", 20);
  const model = fitModel(data, { before });
  const training = data.matches.filter((m) => isPlayed(m, before));
  const base = { home: 0, draw: 0, away: 0 };
  for (const m of training)
    base[winningOutcome("1x2", m.fullTime!) as keyof typeof base] += 1 / training.length;
  const held = data.matches.filter(
    (m) => m.season === "2024-25" && m.status === "finished" && m.kickoff >= before,
  );
  assert.ok(held.length >= 190);
  let modelLoss = 0;
  let baseLoss = 0;
  for (const m of held) {
    const outcome = winningOutcome("1x2", m.fullTime!) as keyof typeof base;
    modelLoss -= Math.log(model.predict(m.home, m.away)[outcome]) / held.length;
    baseLoss -= Math.log(base[outcome]) / held.length;
  }
  assert.ok(modelLoss < baseLoss, `model ${modelLoss.toFixed(4)} vs base rate ${baseLoss.toFixed(4)}`);
});

test("the optional Dixon–Coles correction keeps the rates and moves only low scores", () => {
  const plain = fitModel(data);
  const corrected = fitModel(data, { lowScoreCorrection: true });
  assert.ok(corrected.rho !== 0 && Math.abs(corrected.rho) < 0.3, `rho ${corrected.rho}`);
  assert.deepEqual(corrected.rates("Arsenal FC", "Chelsea FC"), plain.rates("Arsenal FC", "Chelsea FC"));
  const a = plain.predict("Arsenal FC", "Chelsea FC");
  const b = corrected.predict("Arsenal FC", "Chelsea FC");
  assert.notEqual(a.draw, b.draw);
  assert.ok(Math.abs(a.draw - b.draw) < 0.05);
  assert.ok(Math.abs(a.home + a.draw + a.away - 1) < 1e-12 && Math.abs(b.home + b.draw + b.away - 1) < 1e-12);
});
