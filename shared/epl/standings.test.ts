import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "./dataset.js";
import { standings, teamForm } from "./standings.js";
import { findTeam, teamsMentioned } from "./teams.js";

const data = loadDataset();

test("the shipped data has three seasons and 89 unplayed 2025-26 fixtures", () => {
  assert.equal(data.matches.length, 1140);
  assert.equal(data.matches.filter((m) => m.season === "2025-26" && m.status !== "finished").length, 89);
  assert.equal(data.teams.length, 25);
});

test("the 2024-25 final table matches the real one at the top and bottom", () => {
  const table = standings(data, "2024-25");
  assert.equal(table.length, 20);
  assert.deepEqual(
    table.slice(0, 2).map((r) => [r.team, r.points]),
    [
      ["Liverpool FC", 84],
      ["Arsenal FC", 74],
    ],
  );
  assert.equal(table.at(-1)!.team, "Southampton FC");
  assert.equal(table.at(-1)!.points, 12);
  assert.equal(
    table.reduce((sum, r) => sum + r.goalDifference, 0),
    0,
  );
});

test("a table before a date counts only matches kicked off before it", () => {
  const table = standings(data, "2024-25", "2024-08-20T00:00:00Z");
  assert.ok(table.every((r) => r.played <= 1));
});

test("a table asked for again is the same one, and no caller can change it for the next", () => {
  const first = standings(data, "2024-25");
  assert.equal(standings(data, "2024-25"), first);
  assert.throws(() => {
    (first[0] as { points: number }).points = 0;
  }, TypeError);
  assert.equal(standings(data, "2024-25")[0]?.points, 84);
  // Another cut-off is another table.
  assert.notEqual(standings(data, "2024-25", "2025-01-01T00:00:00Z"), first);
});

test("team form lists the newest matches first with results from the team's side", () => {
  const form = teamForm(data, "Arsenal FC", 5);
  assert.equal(form.matches.length, 5);
  assert.ok(form.matches[0]!.date >= form.matches[4]!.date);
  assert.equal(form.points, form.won * 3 + form.drawn);
});

test("team names resolve from what people type, and ambiguity resolves to nothing", () => {
  assert.equal(findTeam(data, "man city"), "Manchester City FC");
  assert.equal(findTeam(data, "Spurs"), "Tottenham Hotspur FC");
  assert.equal(findTeam(data, "united"), undefined);
  assert.deepEqual(teamsMentioned(data, "buy 10 shares of Arsenal to beat Chelsea"), [
    "Arsenal FC",
    "Chelsea FC",
  ]);
});
