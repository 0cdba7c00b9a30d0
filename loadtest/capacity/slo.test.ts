import assert from "node:assert/strict";
import { test } from "node:test";
import { brokenObjectives, rampOver, type StepOutcome, usersHeld } from "./slo.js";

const good: StepOutcome = {
  firstDeltaP99Ms: 1000,
  tradeP99Ms: 100,
  liveDeliveryP99Ms: 500,
  tradesLost: 0,
  runsLost: 0,
  liveGaps: 0,
  resumesNotRecovered: 0,
};

test("a step at exactly every limit with nothing lost holds", () => {
  assert.deepEqual(brokenObjectives(good), []);
});

test("each objective breaks on its own", () => {
  assert.deepEqual(brokenObjectives({ ...good, firstDeltaP99Ms: 1001 }), ["first delta p99"]);
  assert.deepEqual(brokenObjectives({ ...good, tradeP99Ms: 101 }), ["trade p99"]);
  assert.deepEqual(brokenObjectives({ ...good, liveDeliveryP99Ms: 501 }), ["live delivery p99"]);
  assert.deepEqual(brokenObjectives({ ...good, tradesLost: 1 }), ["trades lost"]);
  assert.deepEqual(brokenObjectives({ ...good, runsLost: 1 }), ["runs lost"]);
  assert.deepEqual(brokenObjectives({ ...good, liveGaps: 1 }), ["live gap"]);
  assert.deepEqual(brokenObjectives({ ...good, resumesNotRecovered: 1 }), ["live gap"]);
});

test("a latency with no sample breaks nothing (NaN compares false)", () => {
  assert.deepEqual(brokenObjectives({ ...good, firstDeltaP99Ms: Number.NaN }), []);
});

test("the ramp is over after two broken steps in a row", () => {
  const step = (broken: string[] = []) => ({ broken });
  assert.equal(rampOver([step(), step(["trade p99"])]), false);
  assert.equal(rampOver([step(["trade p99"]), step(), step(["runs lost"])]), false);
  assert.equal(rampOver([step(), step(["trade p99"]), step(["live gap"])]), true);
  assert.equal(rampOver([step(["trade p99"])], 1), true);
});

test("users held: the last held step before two broken ones in a row; a lone broken step is passed over", () => {
  const step = (users: number, broken: string[] = []) => ({ users, broken });
  assert.equal(usersHeld([step(100), step(200), step(400, ["trade p99"]), step(800, ["trade p99"])]), 200);
  assert.equal(
    usersHeld([step(100), step(200, ["trade p99"]), step(400), step(800, ["x"]), step(1600, ["x"])]),
    400,
  );
  assert.equal(usersHeld([step(100, ["runs lost"]), step(200, ["runs lost"]), step(400)]), 0);
  assert.equal(usersHeld([step(100), step(200, ["live gap"])], 1), 100);
  assert.equal(usersHeld([]), 0);
});
