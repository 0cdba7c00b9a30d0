import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { rank, replayScript, simulatedScript } from "./match-script.js";

describe("match scripts", () => {
  const dataset = loadDataset();
  const model = fitModel(dataset);

  test("every finished match replays to its real half-time and full-time scores", () => {
    for (const match of dataset.matches.filter((m) => m.status === "finished")) {
      const goals = replayScript(match, "seed").filter((h) => h.kind === "goal");
      const count = (side: string, half: (minute: number) => boolean) =>
        goals.filter((g) => g.side === side && half(g.minute)).length;
      const firstHalf = (m: number) => m <= 45;
      const any = () => true;
      assert.deepEqual(
        { home: count("home", firstHalf), away: count("away", firstHalf) },
        match.halfTime,
        match.id,
      );
      assert.deepEqual({ home: count("home", any), away: count("away", any) }, match.fullTime, match.id);
    }
  });

  test("a script is fixed by seed and match, strictly ordered by rank, and its goals follow the model", () => {
    const fixtures = dataset.matches.filter((m) => m.season === "2025-26" && m.status !== "finished");
    let goals = 0;
    let expected = 0;
    let firstHalfGoals = 0;
    for (let round = 0; round < 40; round++) {
      for (const f of fixtures) {
        const rates = model.rates(f.home, f.away);
        const script = simulatedScript(f.id, rates, `seed-${round}`);
        for (let i = 1; i < script.length; i++) assert.ok(rank(script[i - 1]!) < rank(script[i]!));
        const scored = script.filter((h) => h.kind === "goal");
        goals += scored.length;
        firstHalfGoals += scored.filter((h) => h.minute <= 45).length;
        expected += rates.home + rates.away;
      }
    }
    assert.deepEqual(
      simulatedScript(fixtures[0]!.id, { home: 1.4, away: 1.1 }, "x"),
      simulatedScript(fixtures[0]!.id, { home: 1.4, away: 1.1 }, "x"),
    );
    assert.notDeepEqual(
      simulatedScript(fixtures[0]!.id, { home: 1.4, away: 1.1 }, "x"),
      simulatedScript(fixtures[0]!.id, { home: 1.4, away: 1.1 }, "y"),
    );
    // ~9,700 goals expected: within 5% of the model, and about 44% of them before half time.
    assert.ok(Math.abs(goals / expected - 1) < 0.05, `${goals} goals, ${expected.toFixed(0)} expected`);
    assert.ok(
      Math.abs(firstHalfGoals / goals - 0.4375) < 0.03,
      `${firstHalfGoals} of ${goals} before half time`,
    );
  });
});
