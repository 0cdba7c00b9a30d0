import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fleetFor,
  llmCostPerUserMonth,
  perUser,
  planServer,
  slope,
  sonnetPrice,
  usersPerServer,
} from "./server-arithmetic.js";

test("the slope leaves out the fixed cost; one point falls back to the line through the origin", () => {
  assert.equal(
    slope([
      { x: 100, y: 0.3 },
      { x: 300, y: 0.7 },
    ]),
    0.002,
  );
  assert.equal(slope([{ x: 100, y: 0.3 }]), 0.003);
  assert.ok(Number.isNaN(slope([])));
  assert.ok(
    Number.isNaN(
      slope([
        { x: 5, y: 1 },
        { x: 5, y: 2 },
      ]),
    ),
  );
});

test("per user: CPU slope over compression; memory per socket held, or over compression where it follows the rates", () => {
  const samples = [
    { users: 1000, cores: 0.5, rssBytes: 200e6 },
    { users: 2000, cores: 0.9, rssBytes: 260e6 },
  ];
  const gateway = perUser(samples, 60, "socket");
  // 0.4 cores per 1,000 sockets at 60×: 0.4 / 60,000 cores per real-time user.
  assert.ok(Math.abs(gateway.coresPerUser - 0.4 / 60_000) < 1e-15);
  assert.equal(gateway.bytesPerUser, 60_000);
  const worker = perUser(samples, 60);
  assert.equal(worker.coresPerUser, gateway.coresPerUser);
  assert.equal(worker.bytesPerUser, 1_000);
});

test("users per 8-vCPU server: 70 % of its cores or 80 % of its memory, whichever is fewer", () => {
  const byCpu = usersPerServer({ coresPerUser: 0.0001, bytesPerUser: 10_000 });
  assert.ok(Math.abs(byCpu.byCpu - 56_000) < 1e-6);
  assert.equal(byCpu.byMemory, (32 * 2 ** 30 * 0.8) / 10_000);
  assert.equal(byCpu.users, byCpu.byCpu);
  const byMemory = usersPerServer({ coresPerUser: 0.000001, bytesPerUser: 1_000_000 });
  assert.equal(byMemory.users, byMemory.byMemory);
  // A cost at or below zero bounds nothing.
  assert.equal(usersPerServer({ coresPerUser: -1, bytesPerUser: 0 }).users, Number.POSITIVE_INFINITY);
});

test("a million users: whole servers per kind, cost per user-month at the server price", () => {
  const fleet = fleetFor(
    {
      // 24.4 gateway servers: a part server is a whole one.
      gateway: { coresPerUser: 5.6 / 41_000, bytesPerUser: 0 },
      "agent-worker": { coresPerUser: 5.6 / 25_000, bytesPerUser: 0 },
      redis: { coresPerUser: 0, bytesPerUser: 0 },
    },
    1_000_000,
  );
  assert.deepEqual(fleet.serversByKind, { gateway: 25, "agent-worker": 40 });
  assert.equal(fleet.servers, 65);
  assert.equal(fleet.costPerUserMonth, (65 * planServer.pricePerMonth) / 1_000_000);
  // The plan's own numbers: 100 servers for a million users at $280 each is $0.028 a user-month.
  assert.equal((100 * planServer.pricePerMonth) / 1_000_000, 0.028);
});

test("LLM cost per user-month: runs × tokens per run at list price", () => {
  const cost = llmCostPerUserMonth({
    runsPerUserMonth: 360,
    inputPerRun: 1000,
    outputPerRun: 100,
    tokensPerCounted: 1.3,
    price: sonnetPrice,
  });
  // 360 × (1,300 × $2 + 130 × $10) / 10⁶
  assert.ok(Math.abs(cost - (360 * (1300 * 2 + 130 * 10)) / 1e6) < 1e-12);
});
