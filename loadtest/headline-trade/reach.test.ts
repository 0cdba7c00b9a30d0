import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuOf, describeReach, reachOfTarget } from "./reach.js";

const naive = {
  perS: 2000,
  cpuMsPerRequest: { express: 0.4, "bullmq-agent": 0.2, "redis-server": 0.1, "client-1": 0.05 },
};
const floor = {
  cpuMsPerRequest: {
    "gateway-1": 0.2,
    "worker-1": 0.1,
    "worker-2": 0.1,
    "nats-server": 0.1,
    "client-1": 0.05,
  },
};
const naiveWork = {
  cpuMsPerRequest: { express: 0.5, "bullmq-agent": 0.4, "bullmq-agent-2": 0.3, "redis-server": 0.3 },
};

test("a row's CPU leaves out the load's clients and processes not measured in that phase", () => {
  assert.equal(cpuOf({ cpuMsPerRequest: { a: 0.25, "client-1": 1, b: Number.NaN, c: 0.5 } }), 0.75);
  assert.equal(
    cpuOf(naiveWork, (name) => name.startsWith("bullmq-agent")),
    0.7,
  );
});

test("the budget is every core's time at the naive design's rate; the least is the floor plus the agents' extra work", () => {
  const reach = reachOfTarget(naive, floor, naiveWork, 2);
  assert.equal(reach.budgetMs, 1);
  assert.equal(reach.floorMs, 0.5);
  // Both of naive-work's agent processes, less the naive agent's own queue work.
  assert.ok(Math.abs(reach.workMs - 0.5) < 1e-9);
  assert.ok(Math.abs(reach.leastMs - 1) < 1e-9);
});

test("the verdict says how much cheaper the floor and the work must get when they exceed the budget", () => {
  const reach = reachOfTarget({ ...naive, perS: 2500 }, floor, naiveWork, 2);
  assert.match(
    describeReach(reach, 2500, 2),
    /at most 0\.80 CPU ms.*need at least 1\.00: out of reach unless they cost 20 % less$/,
  );
  const roomy = reachOfTarget({ ...naive, perS: 1000 }, floor, naiveWork, 2);
  assert.match(describeReach(roomy, 1000, 2), /need at least 1\.00: within reach/);
});

test("an agent that works no harder than the naive one adds no work", () => {
  const idle = { cpuMsPerRequest: { "bullmq-agent": 0.1 } };
  assert.equal(reachOfTarget(naive, floor, idle, 2).workMs, 0);
});
