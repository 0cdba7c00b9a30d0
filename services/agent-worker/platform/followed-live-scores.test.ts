import assert from "node:assert/strict";
import { test } from "node:test";
import type { LiveStream, LiveTopic } from "../../../shared/bus/live-stream/live-stream.js";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { createFollowedLiveScores } from "./followed-live-scores.js";
import { createLiveScores } from "./live-scores.js";

const epl = loadDataset();
const matchIds = epl.matches.filter((m) => m.status !== "finished").map((m) => m.id);

/** A match played minute by minute (clock ticks, a goal every 20 minutes, half and full time). */
async function play(stream: LiveStream, matchId: string, fromMinute: number, toMinute: number) {
  const topic: LiveTopic = `match.${matchId}`;
  for (let minute = fromMinute; minute <= toMinute; minute++) {
    const home = Math.floor(minute / 20);
    const kind =
      minute === 0
        ? "kickoff"
        : minute === 45
          ? "halftime"
          : minute === 90
            ? "fulltime"
            : minute % 20 === 0
              ? "goal"
              : "minute";
    await stream.publish(topic, {
      matchId,
      kind,
      minute,
      score: { home, away: 0 },
      ...(kind === "goal" ? { team: "x" } : {}),
    });
  }
}

/** The stream, counting the log reads (`history`, `last`, `position`) made through it. */
function counted(stream: LiveStream) {
  const reads = { count: 0 };
  const wrapped: LiveStream = {
    ...stream,
    subscribe: stream.subscribe.bind(stream),
    async history(...args) {
      reads.count++;
      return stream.history(...args);
    },
    async last(topic) {
      reads.count++;
      return stream.last(topic);
    },
    async position(channel) {
      reads.count++;
      return stream.position(channel);
    },
  };
  return { stream: wrapped, reads };
}

test("the read model answers as the log does: history from before it started, events after, played and unplayed matches", async () => {
  const stream = createMemoryLiveStream();
  const [before, during, unplayed] = matchIds as [string, string, string];
  await play(stream, before, 0, 90);
  await play(stream, during, 0, 30);
  const followed = createFollowedLiveScores({ dataset: epl, stream, maxAgeMs: 86_400_000 });
  const fromLog = createLiveScores({ dataset: epl, stream });
  assert.deepEqual(await followed.match(during), await fromLog.match(during));
  await play(stream, during, 31, 70);
  await play(stream, unplayed, 0, 10);
  for (const id of [before, during, unplayed, "2024-25-arsenal-chelsea", "2025-26-nobody-nowhere"]) {
    assert.deepEqual(await followed.match(id), await fromLog.match(id), id);
  }
  const live = await followed.match(during);
  assert.deepEqual(
    [live?.status, live?.minute, live?.score, live?.source],
    ["live", 70, { home: 3, away: 0 }, "live"],
  );
  followed.close();
  await stream.close();
});

test("a tool read costs no log read, whatever the history: reads per match are the same with N and 10N events", async () => {
  const readsFor = async (rounds: number) => {
    const { stream, reads } = counted(createMemoryLiveStream());
    for (const id of matchIds.slice(0, rounds)) await play(stream, id, 0, 90);
    const followed = createFollowedLiveScores({ dataset: epl, stream, maxAgeMs: 86_400_000 });
    // The first question about a match reads its history once; the next 50 read nothing.
    const first = reads.count;
    await followed.match(matchIds[0]!);
    const priming = reads.count - first;
    for (let i = 0; i < 50; i++) await followed.match(matchIds[i % rounds]!);
    const perMatch = (reads.count - first) / Math.min(rounds, 50);
    followed.close();
    await stream.close();
    return { priming, perMatch };
  };
  const small = await readsFor(3);
  const large = await readsFor(30);
  assert.equal(small.priming, 2);
  assert.deepEqual(large, small);

  // The log-reading path it replaces reads the log on every question.
  const { stream, reads } = counted(createMemoryLiveStream());
  await play(stream, matchIds[0]!, 0, 90);
  const fromLog = createLiveScores({ dataset: epl, stream });
  for (let i = 0; i < 10; i++) await fromLog.match(matchIds[0]!);
  assert.ok(reads.count >= 30, `the log path read ${reads.count} times`);
  await stream.close();
});

test("a match's events older than the log's retention are left out, as the log drops them", async () => {
  const stream = createMemoryLiveStream();
  const id = matchIds[0]!;
  await play(stream, id, 0, 90);
  let now = Date.now();
  const followed = createFollowedLiveScores({ dataset: epl, stream, maxAgeMs: 60_000, now: () => now });
  assert.equal((await followed.match(id))?.source, "live");
  now += 61_000;
  assert.deepEqual(await followed.match(id), await createLiveScores({ dataset: epl }).match(id));
  followed.close();
  await stream.close();
});
