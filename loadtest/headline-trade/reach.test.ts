import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuOf, describeReach, naiveAgentName, reachOfTarget } from "./reach.js";

const rows = {
  naive: {
    perS: 2000,
    cpuMsPerRequest: { express: 0.4, "bullmq-agent": 0.2, "redis-server": 0.1, "client-1": 0.05 },
  },
  early: { cpuMsPerRequest: { "gateway-1": 0.5, "worker-1": 0.4, "worker-2": 0.4, "client-1": 0.1 } },
  after: { cpuMsPerRequest: { "gateway-1": 0.4, "worker-1": 0.3, "worker-2": 0.3 } },
  floor: {
    cpuMsPerRequest: {
      "gateway-1": 0.2,
      "worker-1": 0.1,
      "worker-2": 0.1,
      "nats-server": 0.1,
      "client-1": 0.05,
    },
  },
  naiveWork: {
    cpuMsPerRequest: { express: 0.5, "bullmq-agent": 0.4, "bullmq-agent-2": 0.3, "redis-server": 0.3 },
  },
};
const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual}`);

test("a row's CPU leaves out the load's clients and processes not measured in that phase", () => {
  assert.equal(cpuOf({ cpuMsPerRequest: { a: 0.25, "client-1": 1, b: Number.NaN, c: 0.5 } }), 0.75);
  assert.equal(
    cpuOf(rows.naiveWork, (name) => name.startsWith("bullmq-agent")),
    0.7,
  );
});

test("the budget is every core's time at the naive design's rate; the least is the floor plus the agents' extra work", () => {
  const reach = reachOfTarget(rows, 2);
  assert.equal(reach.budgetMs, 1);
  near(reach.oursMs.early, 1.3);
  near(reach.oursMs.after, 1);
  assert.equal(reach.floorMs, 0.5);
  // Both of naive-work's agent processes, less the naive agent's own queue work.
  near(reach.workMs, 0.5);
  near(reach.leastMs, 1);
});

test("the verdict says how much cheaper ours, and the floor with the work, must get", () => {
  const faster = { ...rows, naive: { ...rows.naive, perS: 2500 } };
  assert.match(
    describeReach(reachOfTarget(faster, 2), 2500, 2),
    /at most 0\.80 CPU ms.*spends 1\.30 early \(38 % too much\) and 1\.00 after \(20 % too much\).*alone need 1\.00, 20 % too much even if/,
  );
  const slower = { ...rows, naive: { ...rows.naive, perS: 1000 } };
  assert.match(
    describeReach(reachOfTarget(slower, 2), 1000, 2),
    /spends 1\.30 early \(within it\).*alone need 1\.00, within it even if/,
  );
});

test("the naive agents are counted under the names the benchmark gives their processes", () => {
  const named = {
    cpuMsPerRequest: { [naiveAgentName(0)]: 0.4, [naiveAgentName(1)]: 0.3, express: 0.5 },
  };
  assert.deepEqual([naiveAgentName(0), naiveAgentName(1)], ["bullmq-agent", "bullmq-agent-2"]);
  near(reachOfTarget({ ...rows, naiveWork: named }, 2).workMs, 0.5);
});

test("an agent that works no harder than the naive one adds no work", () => {
  const idle = { cpuMsPerRequest: { "bullmq-agent": 0.1 } };
  assert.equal(reachOfTarget({ ...rows, naiveWork: idle }, 2).workMs, 0);
});
