import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { fitModel } from "../../../shared/epl/model.js";
import { createLiveScores } from "./live-scores.js";
import { fixtureValue } from "./model-value.js";

const epl = loadDataset();
const scheduled = "2025-26-arsenal-everton";

test("with no feed, matches read from the results: scheduled, or the real final and half-time score", async () => {
  const scores = createLiveScores({ dataset: epl });
  const played = await scores.match("2025-26-arsenal-chelsea");
  assert.deepEqual(
    [played?.status, played?.score, played?.halfTime, played?.source],
    ["finished", { home: 2, away: 1 }, epl.byId.get("2025-26-arsenal-chelsea")!.halfTime, "results"],
  );
  const next = await scores.match(scheduled);
  assert.deepEqual([next?.status, next?.score, next?.events], ["scheduled", undefined, []]);
  assert.equal(await scores.match("2025-26-nobody-nowhere"), undefined);
});

test("a match the feed plays reads live: score, minute and its news, and the model prices it in play", async () => {
  const stream = createMemoryLiveStream();
  const topic = `match.${scheduled}` as const;
  const event = (kind: string, minute: number, home: number, extra: Record<string, unknown> = {}) =>
    stream.publish(topic, { matchId: scheduled, kind, minute, score: { home, away: 0 }, ...extra });
  await event("kickoff", 0, 0);
  await event("minute", 10, 0);
  await event("goal", 23, 1, { team: "Arsenal FC" });
  await event("minute", 60, 1);
  const state = await createLiveScores({ dataset: epl, stream }).match(scheduled);
  assert.deepEqual(
    [state?.status, state?.minute, state?.score, state?.source],
    ["live", 60, { home: 1, away: 0 }, "live"],
  );
  assert.deepEqual(
    state?.events.map((e) => [e.kind, e.minute, e.team]),
    [
      ["kickoff", 0, undefined],
      ["goal", 23, "Arsenal FC"],
    ],
  );

  const model = fitModel(epl);
  const fixture = {
    matchId: scheduled,
    home: "Arsenal FC",
    away: "Everton FC",
    kickoff: "",
    status: "scheduled" as const,
    markets: [],
  };
  const homeOf = (lines: ReturnType<typeof fixtureValue>) =>
    lines.find((l) => l.kind === "1x2" && l.outcome === "home")!.model;
  assert.ok(homeOf(fixtureValue(model, fixture, state)) > homeOf(fixtureValue(model, fixture)) + 0.1);
  await stream.close();
});
