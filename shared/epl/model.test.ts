import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset, Match } from "./dataset.js";
import { loadDataset } from "./dataset.js";
import { winningOutcome } from "./markets.js";
import { baselineModelOptions, fitModel, scoreProbabilities } from "./model.js";
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
  assert.ok(model.rho < 0 && model.rho > -0.3, `rho ${model.rho}: 0-0 and 1-1 likelier than independence`);
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
  assert.throws(() => fitModel(data, { leagueHalfLifeDays: -1 }), /leagueHalfLifeDays/);
  assert.throws(() => fitModel(data, { tempoRidge: Number.NaN }), /tempoRidge/);
  assert.throws(() => fitModel(data, { dependenceHalfLifeDays: -5 }), /dependenceHalfLifeDays/);
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

test("every market's probabilities sum to 1 for every pairing", () => {
  const model = fitModel(data, { before: firstKickoff("2025-26", 20) });
  for (const home of data.teams) {
    for (const away of data.teams) {
      if (home === away) continue;
      const p = model.predict(home, away);
      for (const v of [p.home, p.draw, p.away, p.over25, p.under25, p.bttsYes, p.bttsNo])
        assert.ok(v > 0 && v < 1);
      assert.ok(Math.abs(p.home + p.draw + p.away - 1) < 1e-12, `${home} v ${away}`);
      assert.ok(Math.abs(p.over25 + p.under25 - 1) < 1e-12 && Math.abs(p.bttsYes + p.bttsNo - 1) < 1e-12);
    }
  }
});

test("the dependence moves only low scores: with ρ < 0, draws and unders rise, the rates stay", () => {
  const independent = fitModel(data, { dependenceHalfLifeDays: 0 });
  const dependent = fitModel(data);
  assert.equal(independent.rho, 0);
  const { rho, ...rates } = dependent.rates("Arsenal FC", "Chelsea FC");
  assert.deepEqual(independent.rates("Arsenal FC", "Chelsea FC"), { ...rates, rho: 0 });
  const a = independent.predict("Arsenal FC", "Chelsea FC");
  const b = dependent.predict("Arsenal FC", "Chelsea FC");
  assert.ok(b.draw > a.draw + 0.005 && b.draw < a.draw + 0.05, `draw ${a.draw} → ${b.draw} with ρ ${rho}`);
  // 0-0 and 1-1 gain exactly what 1-0 and 0-1 lose, all four under 2.5 goals.
  assert.ok(Math.abs(b.under25 - a.under25) < 1e-12, "the totals market is untouched");
  assert.deepEqual(b.expectedGoals, a.expectedGoals);
  // On the score grid: ρ = −0.1 raises exactly the 0-0 and 1-1 cells and lowers 1-0 and 0-1.
  const even = { home: 1.2, away: 1.2 };
  const low = scoreProbabilities({ ...even, rho: -0.1 });
  const plain = scoreProbabilities(even);
  assert.ok(low.draw > plain.draw && low.home < plain.home && low.away < plain.away);
  assert.ok(Math.abs(low.home - low.away) < 1e-12, "the correction is symmetric for equal rates");
});

test("recent results count more than old ones, and a shorter half-life follows them faster", () => {
  const before = firstKickoff("2025-26", 20);
  // Wolves' last eight matches before the cut-off all become 4-0 wins for Wolves.
  const recent = data.matches
    .filter((m) => isPlayed(m, before) && [m.home, m.away].includes("Wolverhampton Wanderers FC"))
    .slice(-8);
  const ids = new Set(recent.map((m) => m.id));
  const rewritten: Dataset = {
    ...data,
    matches: data.matches.map((m) =>
      ids.has(m.id)
        ? {
            ...m,
            fullTime: m.home === "Wolverhampton Wanderers FC" ? { home: 4, away: 0 } : { home: 0, away: 4 },
          }
        : m,
    ),
  };
  const swing = (halfLifeDays: number) =>
    fitModel(rewritten, { before, halfLifeDays }).predict("Wolverhampton Wanderers FC", "Everton FC").home -
    fitModel(data, { before, halfLifeDays }).predict("Wolverhampton Wanderers FC", "Everton FC").home;
  assert.ok(swing(365) > 0.1, `Wolves' home win rises by ${swing(365)}`);
  assert.ok(swing(60) > swing(365) + 0.05, `60-day ${swing(60)} against 365-day ${swing(365)}`);
});

test("the league goal level follows a change of era faster than team strengths", () => {
  const before = firstKickoff("2025-26", 20);
  const cut = new Date(Date.parse(before) - 45 * 86_400_000).toISOString();
  // The league's last 45 days end goalless: a sudden fall of the goal level.
  const rewritten: Dataset = {
    ...data,
    matches: data.matches.map((m) =>
      isPlayed(m, before) && m.kickoff >= cut
        ? { ...m, fullTime: { home: 0, away: 0 }, halfTime: { home: 0, away: 0 } }
        : m,
    ),
  };
  const goals = (leagueHalfLifeDays: number) => {
    const g = fitModel(rewritten, { before, leagueHalfLifeDays }).predict(
      "Arsenal FC",
      "Everton FC",
    ).expectedGoals;
    return g.home + g.away;
  };
  assert.ok(goals(30) < goals(365) - 0.3, `30-day league half-life ${goals(30)}, 365-day ${goals(365)}`);
});

test("the pricing model differs from the baseline it replaced, which is independent Poisson", () => {
  const baseline = fitModel(data, baselineModelOptions);
  assert.equal(baseline.rho, 0);
  assert.notDeepEqual(
    fitModel(data).predict("Arsenal FC", "Chelsea FC"),
    baseline.predict("Arsenal FC", "Chelsea FC"),
  );
});
