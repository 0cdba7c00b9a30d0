import assert from "node:assert/strict";
import { test } from "node:test";
import { AppError } from "./errors.js";
import { problemOf, untilAvailable, type WaitEvent } from "./until-available.js";

const missing = (problem: string) =>
  new AppError("unavailable", "the database is unavailable", {
    cause: Object.assign(new Error(problem), { code: "3D000" }),
  });

test("retries while the dependency is unavailable, telling each distinct problem once", async () => {
  const events: WaitEvent[] = [];
  const failures = [
    missing('database "x" does not exist'),
    missing('database "x" does not exist'),
    missing("refused"),
  ];
  let tries = 0;
  const value = await untilAvailable(
    "postgres",
    async () => {
      tries++;
      const failure = failures.shift();
      if (failure) throw failure;
      return "migrated";
    },
    { onEvent: (e) => events.push(e), minDelayMs: 1, maxDelayMs: 4 },
  );
  assert.equal(value, "migrated");
  assert.equal(tries, 4);
  assert.deepEqual(
    events.map((e) =>
      e.type === "waiting" ? `${e.type} ${e.dependency}: ${e.problem}` : `${e.type} after ${e.attempts}`,
    ),
    [
      'waiting postgres: database "x" does not exist (3D000)',
      "waiting postgres: refused (3D000)",
      "available after 4",
    ],
  );
});

test("a failure that is not unavailability is thrown at once", async () => {
  let tries = 0;
  await assert.rejects(
    untilAvailable(
      "postgres",
      async () => {
        tries++;
        throw new Error("syntax error in migration");
      },
      { onEvent: () => {}, minDelayMs: 1 },
    ),
    /syntax error/,
  );
  assert.equal(tries, 1);
});

test("the problem is the innermost cause's words, with its code", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  assert.equal(
    problemOf(new AppError("unavailable", "x", { cause: refused })),
    "connect ECONNREFUSED 127.0.0.1:1",
  );
  assert.equal(problemOf(new Error("plain")), "plain");
});
