import assert from "node:assert/strict";
import { test } from "node:test";
import { pause, until } from "../../../test/support/polling.js";
import { createHeartbeat } from "./heartbeat.js";

test("beats every session once per heartbeat, a slice of them at a time, never all at once", async () => {
  // 500 ms: five slices of 100 ms; 50 sessions, ten per slice.
  const heartbeat = createHeartbeat(500);
  /** The sessions each tick beat (one tick's beats share their `now`). */
  const ticks: { now: number; beaten: number[] }[] = [];
  const sessions = Array.from({ length: 50 }, (_, i) => ({
    beat(now: number) {
      if (ticks.at(-1)?.now !== now) ticks.push({ now, beaten: [] });
      ticks.at(-1)!.beaten.push(i);
    },
  }));
  for (const session of sessions) heartbeat.add(session);
  await until(() => ticks.length >= 10, 5000, "ten ticks");
  for (const session of sessions) heartbeat.delete(session);
  const all = sessions.map((_, i) => i);
  for (const tick of ticks.slice(0, 10))
    assert.equal(tick.beaten.length, 10, "a fifth of the sessions per tick");
  for (const round of [ticks.slice(0, 5), ticks.slice(5, 10)]) {
    const beaten = round.flatMap((tick) => tick.beaten).sort((a, b) => a - b);
    assert.deepEqual(beaten, all, "each session once in every five ticks (one heartbeat)");
  }
  const count = ticks.length;
  // Half a heartbeat of silence in which no beat may come.
  await pause(250);
  assert.equal(ticks.length, count, "no beats once every session is deleted");
});
