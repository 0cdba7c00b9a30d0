import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { scheduleRounds } from "../../services/market-feed/market-feed.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { marketId, marketKinds } from "../../shared/epl/markets.js";
import type { OwnedNatsNode } from "../support/owned-servers.js";
import { pause } from "../support/polling.js";
import { type FaultDeployment, startFaultDeployment } from "./fault-deployment.js";
import { assertNothingLost, type FaultLoad, faultEnv, startFaultLoad } from "./fault-load.js";
import { buildRows, textTable, writeLogs } from "./fault-report.js";

/**
 * Issue 17, item 3: the deployment on a 3-node JetStream cluster of its own (NATS_REPLICAS=3),
 * under trading, agent runs and live subscribers through two gateways. The node leading the LIVE
 * stream is killed with SIGKILL, held down, and started again; afterwards nothing may be lost:
 * every run completes, every trade has one outcome stored as answered, every live subscriber saw
 * every event of the log once, with no resume that fell back to a snapshot (docs/operations.md,
 * "Losing one node").
 */
const rounds = scheduleRounds(loadDataset());
const nodeDownMs = 5000;
/** Trades fill again this soon after the node is back: the cluster never stopped serving. */
const recoveryBudgetMs = 2000;

// The last round's markets stay open for the whole test; the first round plays and feeds `scores`.
const lastRound = rounds.at(-1)!;
const markets = [
  { match: lastRound[0]!.id, kind: "1x2" as const },
  { match: lastRound[1]!.id, kind: "btts" as const },
].map(({ match, kind }) => ({ id: marketId(match, kind), outcomes: marketKinds[kind].outcomes }));

let fx: FaultDeployment;
let load: FaultLoad | undefined;

before(async () => {
  fx = await startFaultDeployment({
    // A lease that outlasts an election, so agent output is retried across it, not restarted
    // (docs/operations.md, "Losing one node"); no worker dies in this test.
    env: { ...faultEnv("node-loss-secret-0123456789abcdef"), AGENT_ACK_WAIT_MS: "20000" },
    natsNodes: 3,
    gateways: 2,
    workers: 2,
    feeds: 1,
    readyTimeoutMs: 60_000,
  });
});

after(async () => {
  await load?.close();
  await fx?.stop();
});

/** The node JetStream names as the leader of the deployment's LIVE stream. */
async function liveLeader(): Promise<OwnedNatsNode> {
  const nc = await connect({ servers: fx.nats.url.split(",") });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(
      `${fx.deployment.env.STREAM_PREFIX ?? ""}LIVE`,
    );
    const leader = fx.natsNodes.find((n) => n.name === info.cluster?.leader);
    assert.ok(leader, `the LIVE stream has a leader among the nodes (${info.cluster?.leader})`);
    return leader;
  } finally {
    await nc.close();
  }
}

test("one NATS node of three killed under load: nothing lost", { timeout: 150_000 }, async () => {
  load = await startFaultLoad(fx, {
    traders: 4,
    runners: 3,
    traderGateway: (i) => i,
    live: [
      { userId: "watcher-0", first: 0, channels: ["scores", `match.${rounds[0]![0]!.id}`] },
      { userId: "trader-0", first: 1, channels: ["user", "prices"] },
    ],
    markets,
  });
  await load.steady(Date.now(), 30_000);
  const steadySince = Date.now();
  // A window of steady load measured before the fault, not a wait for something to happen.
  await pause(3000);

  const victim = await liveLeader();
  const startedAt = Date.now();
  await victim.kill("SIGKILL");
  // The fault's duration: the node stays down this long.
  await pause(nodeDownMs);
  await victim.restart();
  const returnedAt = Date.now();
  await load.steady(returnedAt, 30_000);
  // A window of steady load measured after the recovery.
  await pause(3000);

  const outcome = await load.finish();
  const { runs, trades, liveClients } = load;
  const watcher = liveClients[0]!;
  const rows = buildRows({
    windows: [
      { fault: `NATS node kill -9 (LIVE leader, 1 of 3), ${nodeDownMs / 1000} s`, startedAt, returnedAt },
    ],
    attempts: trades.attempts,
    lost: outcome.incidents.lost,
    duplicated: outcome.incidents.duplicated,
    steadySince,
    endAt: outcome.endAt,
    liveArrivals: watcher.events("scores").map((f) => watcher.receivedAt(f) ?? 0),
    runRestarts: runs.runs.flatMap((r) => r.stalledAt),
  });
  const runsDone = runs.runs.filter((r) => r.frames.at(-1)?.type === "agent.done");
  console.log(`\nNATS node loss (3-node cluster, NATS_REPLICAS=3)\n${textTable(rows)}`);
  console.log(
    JSON.stringify({
      trades: outcome.keys.length,
      filled: outcome.keys.filter((k) => k.outcome === "filled").length,
      runs: runs.runs.length,
      runsDone: runsDone.length,
      runsResumed: runs.runs.filter((r) => r.resumes > 0).length,
      liveEvents: outcome.live.reduce((n, l) => n + l.comparison.received.length, 0),
      liveReconnects: liveClients.reduce((n, c) => n + c.reconnects, 0),
    }),
  );

  try {
    assertNothingLost(fx, load, outcome);
    assert.deepEqual(
      runs.runs
        .filter((r) => r.endedAt !== undefined && r.frames.at(-1)?.type !== "agent.done")
        .map((r) => r.id),
      [],
      "every run ends in agent.done: no queued run or agent output was lost with the node",
    );
    const [, loss] = rows;
    assert.ok(
      loss!.firstSuccessAfterMs !== null && loss!.firstSuccessAfterMs <= recoveryBudgetMs,
      `trades fill within ${recoveryBudgetMs} ms of the node's return (took ${loss!.firstSuccessAfterMs})`,
    );
    assert.ok(runsDone.length > 5, "the load ran agents");
  } catch (err) {
    console.log(`process logs in ${await writeLogs(fx.logs(), new Date())}`);
    throw err;
  }
});
