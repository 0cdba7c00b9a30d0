import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { buildPlatform, type Platform } from "../../services/embedded/platform.js";
import { loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { createNodeBackend } from "./node-backend.js";
import { checkFrame, checkRequest } from "./protocol-check.js";
import { runtime } from "./standins/runtime.js";
import {
  installStandins,
  loadScript,
  resetRecords,
  runScript,
  samples,
  sentFrames,
  violations,
} from "./vu-runner.js";

/**
 * The k6 scripts against a real platform: the stand-ins of `k6/http` and `k6/websockets` are
 * thin adapters over `fetch` and `ws`, and the embedded platform (port 0, offline model, the
 * match clock running) answers. A script that drifts from what the gateway does, not only from
 * its schemas, fails here: a refused frame, an answer it does not expect, a resume that misses.
 */
const scripts = join(import.meta.dirname, "../../loadtest/k6");
const plan = { iterationTimeoutMs: 30_000 };
let platform: Platform;
let env: Record<string, string>;

before(async () => {
  const config = loadConfig(
    {},
    {
      dataDir: "memory",
      port: 0,
      logLevel: "silent",
      offlineTokenDelayMs: 1,
      feedMatchDurationMs: 20_000,
      feedRoundGapMs: 60_000,
      feedGoalSuspendMs: 100,
    },
  );
  platform = await buildPlatform(config, createLogger(config));
  const baseUrl = await platform.app.listen({ host: "127.0.0.1", port: 0 });
  env = {
    BASE_URL: baseUrl,
    SESSION_MS: "2500",
    TRADE_EVERY_MS: "200",
    DROP_AFTER_MS: "1200",
    END_GRACE_MS: "3000",
    THINK_MS: "0",
    RUN_TIMEOUT_MS: "15000",
  };
  installStandins();
  runtime.backend = createNodeBackend();
  runtime.checkFrame = checkFrame;
  runtime.checkRequest = checkRequest;
});

after(async () => {
  await platform?.close();
});

beforeEach(() => resetRecords());

function assertClean() {
  assert.deepEqual(violations(), [], "every frame and body passes the gateway's checks");
  assert.deepEqual(runtime.errors, [], "no listener or timer of the script threw");
}

const ones = (values: number[]) => values.length > 0 && values.every((v) => v === 1);
const zeros = (values: number[]) => values.every((v) => v === 0);

test("live-betting on the embedded platform: trades fill, fills arrive on the user channel, the resume recovers", async () => {
  const script = await loadScript(join(scripts, "live-betting.ts"), env);
  await runScript(script, { ...plan, vus: 2, iterations: 1 });
  assertClean();
  assert.ok(sentFrames().some((f) => f.type === "trade"));
  assert.ok(samples("trade_duration").length > 0, "trades were answered");
  assert.ok(samples("live_delivery").length > 0, "fills reached the user channel");
  assert.ok(ones(samples("live_resumed")), "every channel of a resubscription recovered");
  assert.ok(zeros(samples("live_errors")), "no error answers");
  assert.ok(samples("live_events").length > 0, "live events arrived");
});

test("agent-trader on the embedded platform: a run streams, one is cancelled, one resumes on a new socket", async () => {
  const script = await loadScript(join(scripts, "agent-trader.ts"), env);
  await runScript(script, { ...plan, vus: 1, iterations: 3 });
  assertClean();
  assert.deepEqual(samples("agent_errors"), [0, 0, 0]);
  assert.deepEqual(samples("agent_resumed"), [1]);
  assert.equal(samples("agent_first_delta").length, 3);
  assert.ok(sentFrames().some((f) => f.type === "agent.resume"));
});

test("epl-trade on the embedded platform: every POST /api/epl/trade finishes its run", async () => {
  const script = await loadScript(join(scripts, "epl-trade.ts"), env);
  await runScript(script, { ...plan, vus: 1, iterations: 3 });
  assertClean();
  assert.deepEqual(samples("epl_trade_ok"), [1, 1, 1]);
});
