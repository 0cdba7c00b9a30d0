import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { createCannedServer } from "./canned-server.js";
import { checkFrame, checkRequest } from "./protocol-check.js";
import { runtime } from "./standins/runtime.js";
import {
  installStandins,
  type K6Script,
  loadScript,
  resetRecords,
  runScript,
  samples,
  sentFrames,
  thresholdProblems,
  violations,
} from "./vu-runner.js";

/**
 * The k6 scripts of loadtest/k6/ run against stand-ins of k6's modules and a canned server that
 * answers as the gateway does: every frame and body they send must pass the gateway's own checks,
 * and every path of each scenario (subscribe, quote and trade, resume with `since`, an agent
 * stream, its cancel and its resume, the headline request) must run.
 */
const root = join(import.meta.dirname, "../..");
const scripts = join(root, "loadtest/k6");
/** What the k6 scripts load at run time, as repository paths: their folder and the frame builders. */
const k6Sources = ["loadtest/k6", "shared/client/frames.ts"];
const env = {
  BASE_URL: "http://canned.invalid",
  SESSION_MS: "600",
  TRADE_EVERY_MS: "30",
  DROP_AFTER_MS: "300",
  END_GRACE_MS: "1000",
  THINK_MS: "0",
  RUN_TIMEOUT_MS: "5000",
};
const plan = { iterationTimeoutMs: 10_000 };
let copies: string | undefined;

before(() => {
  installStandins();
  runtime.backend = createCannedServer();
  runtime.checkFrame = checkFrame;
  runtime.checkRequest = checkRequest;
});

beforeEach(() => resetRecords());

after(() => {
  if (copies !== undefined) rmSync(copies, { recursive: true, force: true });
});

function assertClean() {
  assert.deepEqual(violations(), [], "every frame and body passes the gateway's checks");
  assert.deepEqual(runtime.errors, [], "no listener or timer of the script threw");
}

const ones = (values: number[]) => values.every((v) => v === 1);
const zeros = (values: number[]) => values.every((v) => v === 0);

test("live-betting: subscribes, quotes and trades, drops and resubscribes with since, all by the protocol", async () => {
  const script = await loadScript(join(scripts, "live-betting.ts"), env);
  await runScript(script, { ...plan, vus: 1, iterations: 2 });
  assertClean();

  const frames = sentFrames();
  const subscribes = frames.filter((f) => f.type === "subscribe");
  assert.equal(subscribes.length, 4, "each session subscribes, then resubscribes after its drop");
  const resumes = subscribes.filter((f) => f.since !== undefined);
  assert.equal(resumes.length, 2);
  for (const resume of resumes) {
    assert.deepEqual(
      Object.keys(resume.since as object).sort(),
      (resume.channels as string[]).slice().sort(),
    );
  }
  assert.ok((subscribes[0]!.channels as string[]).includes("scores"));
  assert.ok((subscribes[0]!.channels as string[]).some((c) => c.startsWith("market.")));
  const trades = frames.filter((f) => f.type === "trade");
  assert.ok(frames.some((f) => f.type === "quote"));
  assert.ok(trades.some((f) => f.side === "buy" && f.maxCost !== undefined));
  assert.ok(
    trades.some((f) => f.side === "sell" && f.minProceeds !== undefined),
    "holdings are sold back",
  );

  assert.ok(samples("trade_duration").length >= trades.length - 2, "trades are timed");
  assert.ok(samples("live_delivery").length > 0, "fills on the user channel are timed");
  assert.ok(samples("live_resumed").length > 0 && ones(samples("live_resumed")));
  assert.ok(zeros(samples("live_errors")));
});

test("live-betting: a gateway that drains the socket (1012) is a drop too: the user resubscribes with since", async () => {
  runtime.backend = createCannedServer({ drainAfterMs: 50 });
  try {
    const script = await loadScript(join(scripts, "live-betting.ts"), env);
    await runScript(script, { ...plan, vus: 1, iterations: 1 });
  } finally {
    runtime.backend = createCannedServer();
  }
  assertClean();
  const subscribes = sentFrames().filter((f) => f.type === "subscribe");
  // A drain, the user's own drop, and a second drain: each reconnection resumes.
  assert.ok(subscribes.length >= 3, `${subscribes.length} subscribes`);
  assert.equal(subscribes[0]!.since, undefined);
  assert.ok(subscribes.slice(1).every((f) => f.since !== undefined));
  assert.ok(ones(samples("live_resumed")));
  assert.ok(zeros(samples("live_errors")));
});

test("agent-trader: streams a run to its end, cancels one, and resumes one after a dropped socket", async () => {
  const script = await loadScript(join(scripts, "agent-trader.ts"), env);
  await runScript(script, { ...plan, vus: 1, iterations: 3 });
  assertClean();

  const frames = sentFrames();
  assert.deepEqual(
    frames.map((f) => f.type),
    ["agent.run", "agent.run", "agent.cancel", "agent.run", "agent.resume"],
  );
  const resume = frames.at(-1)!;
  assert.ok((resume.after as number) >= 1, "resumes after the frames it already had");
  assert.equal(samples("agent_first_delta").length, 3);
  assert.deepEqual(samples("agent_errors"), [0, 0, 0]);
  assert.deepEqual(samples("agent_cancelled"), [1]);
  assert.deepEqual(samples("agent_resumed"), [1]);
});

test("epl-trade: posts the three kinds of body to POST /api/epl/trade with a token", async () => {
  const script = await loadScript(join(scripts, "epl-trade.ts"), env);
  await runScript(script, { ...plan, vus: 2, iterations: 3 });
  assertClean();

  const bodies = runtime.sent.filter((s) => s.kind === "POST /api/epl/trade").map((s) => s.value);
  assert.equal(bodies.length, 6);
  assert.ok(bodies.some((b) => (b as { stake?: number }).stake !== undefined));
  assert.ok(bodies.some((b) => Object.keys(b as object).length === 2));
  assert.deepEqual(samples("epl_trade_ok"), [1, 1, 1, 1, 1, 1]);
  assert.ok(runtime.checks.length > 0 && runtime.checks.every((c) => c.ok));
});

test("every threshold names a metric the script has, with an aggregation k6 accepts", async () => {
  for (const name of ["live-betting.ts", "agent-trader.ts", "epl-trade.ts"]) {
    const script = await loadScript(join(scripts, name), env);
    assert.ok(Object.keys(script.options.thresholds ?? {}).length > 0, `${name} has thresholds`);
    assert.deepEqual(thresholdProblems(script), [], name);
  }
});

/**
 * A copy of what the k6 scripts load (`k6Sources`, at the same relative paths) with one change to
 * `file` (a repository path), to show that the checks above catch a script that drifts from the
 * protocol (the change must be found, or the test is stale). Returns the copy's scripts folder.
 */
function driftedCopy(file: string, from: string, to: string): string {
  if (copies === undefined) {
    copies = mkdtempSync(join(tmpdir(), "k6-drift-"));
    // ES modules, as in the repository: k6 scripts are modules.
    writeFileSync(join(copies, "package.json"), '{"type":"module"}');
  }
  const dir = mkdtempSync(join(copies, "copy-"));
  for (const source of k6Sources) cpSync(join(root, source), join(dir, source), { recursive: true });
  const path = join(dir, file);
  const source = readFileSync(path, "utf8");
  assert.ok(source.includes(from), `${file} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(path, source.replace(from, to));
  return join(dir, "loadtest/k6");
}

async function violationsOf(dir: string, script: string, iterations: number): Promise<string[]> {
  resetRecords();
  const loaded: K6Script = await loadScript(join(dir, script), env);
  try {
    await runScript(loaded, { ...plan, vus: 1, iterations });
  } catch {
    // A drifted script may also stall: what it sent is what counts here.
  }
  return violations();
}

test("a script that drifts from the protocol is caught", async (t) => {
  await t.test("a resubscription's `since` renamed", async () => {
    const dir = driftedCopy(
      "shared/client/frames.ts",
      "frame.since = since",
      "Object.assign(frame, { from: since })",
    );
    const found = await violationsOf(dir, "live-betting.ts", 1);
    assert.ok(
      found.some((v) => v.includes('"from"') && v.includes("bad_request")),
      found.join("\n"),
    );
  });
  await t.test("a trade's slippage guard with three decimals", async () => {
    const dir = driftedCopy(
      "loadtest/k6/lib/platform.ts",
      "return Math.ceil(Math.round(value * 1e6) / 1e4) / 100;",
      "return value + 0.001;",
    );
    const found = await violationsOf(dir, "live-betting.ts", 1);
    assert.ok(
      found.some((v) => v.includes("maxCost")),
      found.join("\n"),
    );
  });
  await t.test("agent.resume without `after`", async () => {
    const dir = driftedCopy(
      "shared/client/frames.ts",
      "requestId, after };",
      "requestId, afterSeq: after };",
    );
    const found = await violationsOf(dir, "agent-trader.ts", 3);
    assert.ok(
      found.some((v) => v.includes("agent.resume")),
      found.join("\n"),
    );
  });
  await t.test("an epl trade body with a key the route does not name", async () => {
    const dir = driftedCopy(
      "loadtest/k6/epl-trade.ts",
      'outcome: "draw", stake: 5',
      'outcome: "draw", stakeCredits: 5',
    );
    const found = await violationsOf(dir, "epl-trade.ts", 3);
    assert.ok(
      found.some((v) => v.includes("/api/epl/trade")),
      found.join("\n"),
    );
  });
});
