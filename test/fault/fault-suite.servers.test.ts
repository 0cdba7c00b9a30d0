import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { scheduleRounds } from "../../services/market-feed/market-feed.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { marketId, marketKinds } from "../../shared/epl/markets.js";
import { pause } from "../support/polling.js";
import { type FaultDeployment, startFaultDeployment } from "./fault-deployment.js";
import { assertNothingLost, type FaultLoad, faultEnv, startFaultLoad } from "./fault-load.js";
import {
  buildRows,
  type FaultWindow,
  markdownTable,
  textTable,
  writeLogs,
  writeReport,
} from "./fault-report.js";
import { faultsOf } from "./faults.js";

/**
 * Issue 11's fault suite: one distributed deployment of real processes (2 gateways, 2 agent
 * workers, the exchange, 2 market feeds) on a nats-server, a PostgreSQL cluster and a
 * redis-server the test owns, under steady trading through both gateways (WebSocket and HTTP),
 * agent runs and live subscribers. Each dependency and each service is broken in turn — killed
 * with SIGKILL (PostgreSQL: an immediate stop, held 8 s) and started again as a supervisor
 * would — and afterwards every trade, run and live event is checked against the database, the
 * agent output stream and the LIVE log. It prints the table of docs/reliability.md and writes it
 * as JSON to test/fault/results/. Run it alone: `node scripts/run-tests.mjs test/fault/`.
 */
const rounds = scheduleRounds(loadDataset());
/** How long a dependency stays down; a killed service is started again at once. */
const postgresDownMs = 8000;
const brokerDownMs = 2000;
/** The bar: trades fill again this soon after what failed is back. */
const recoveryBudgetMs = 2000;

// Trading on the last round's markets: its matches kick off long after the suite has ended, so
// the markets stay open. A match lasts 90 s (a minute a second): the first round plays through
// every fault and feeds the match channels.
const lastRound = rounds.at(-1)!;
const markets = [
  { match: lastRound[0]!.id, kind: "1x2" as const },
  { match: lastRound[0]!.id, kind: "ou25" as const },
  { match: lastRound[1]!.id, kind: "btts" as const },
  { match: lastRound[1]!.id, kind: "1x2" as const },
].map(({ match, kind }) => ({ id: marketId(match, kind), outcomes: marketKinds[kind].outcomes }));

const loadedAt = Date.now();
let fx: FaultDeployment;
let load: FaultLoad | undefined;

before(async () => {
  fx = await startFaultDeployment({
    env: { ...faultEnv("fault-suite-secret-0123456789abcdef"), FEED_GOAL_SUSPEND_MS: "300" },
    gateways: 2,
    workers: 2,
    feeds: 2,
    readyTimeoutMs: 60_000,
  });
});

after(async () => {
  await load?.close();
  await fx?.stop();
});

test("under steady load, each dependency and each service killed in turn", { timeout: 420_000 }, async () => {
  const loadStart = Date.now();
  // Traders two by two on each gateway. Live subscribers on both gateways: every match event,
  // single matches of the round playing, the traded markets, a trader's own `user` channel (its
  // fills), and every price.
  load = await startFaultLoad(fx, {
    traders: 6,
    runners: 4,
    traderGateway: (i) => Math.floor(i / 2),
    live: [
      { userId: "watcher-0", first: 0, channels: ["scores", `match.${rounds[0]![0]!.id}`] },
      { userId: "watcher-1", first: 1, channels: [`market.${markets[0]!.id}`, `match.${rounds[0]![2]!.id}`] },
      { userId: "trader-0", first: 0, channels: ["user", `market.${markets[1]!.id}`] },
      { userId: "watcher-3", first: 1, channels: ["prices", `match.${rounds[0]![1]!.id}`] },
    ],
    markets,
    // A trade sent in the moment between the exchange's death and NATS noticing it is delivered
    // to the dead process and never answered: the gateway answers it `unavailable` at its 5 s
    // deadline. Traders that give up after 1.5 s and send it again under the same key, as a bot
    // would, measure when trading is back rather than how long that lost request's deadline is.
    attemptTimeoutMs: 1500,
  });
  const steady = load.steady;
  await steady(Date.now(), 30_000);
  const steadySince = Date.now();
  // A window of steady load measured before the faults, not a wait for something to happen.
  await pause(3000);

  const faults = faultsOf(fx, { postgresMs: postgresDownMs, brokerMs: brokerDownMs });
  const windows: FaultWindow[] = [];
  const notRecovered: string[] = [];
  for (const fault of faults) {
    const startedAt = Date.now();
    // A fault that cannot be injected or undone is reported with the rest, not in place of it.
    await fault.inject().catch((err: Error) => notRecovered.push(`${fault.name}: ${err.message}`));
    const returnedAt = Date.now();
    windows.push({ fault: fault.name, startedAt, returnedAt });
    await steady(returnedAt, 30_000).catch((err: Error) =>
      notRecovered.push(`${fault.name}: ${err.message}`),
    );
    // A window of steady load measured after each recovery, before the next fault.
    await pause(2000);
  }

  const outcome = await load.finish();
  const { endAt, live, keys, incidents } = outcome;
  const { trades, runs, liveClients } = load;
  const scoresWatcher = liveClients[0]!;
  const rows = buildRows({
    windows,
    attempts: trades.attempts,
    lost: incidents.lost,
    duplicated: incidents.duplicated,
    steadySince,
    endAt,
    liveArrivals: scoresWatcher.events("scores").map((f) => scoresWatcher.receivedAt(f) ?? 0),
    runRestarts: runs.runs.flatMap((r) => r.stalledAt),
  });

  const totals = {
    trades: keys.length,
    filled: keys.filter((k) => k.outcome === "filled").length,
    refused: Object.fromEntries(
      [...new Set(keys.map((k) => k.outcome ?? "none"))]
        .filter((o) => o !== "filled")
        .map((o) => [o, keys.filter((k) => (k.outcome ?? "none") === o).length]),
    ),
    attempts: trades.attempts.length,
    runs: runs.runs.length,
    runsDone: runs.runs.filter((r) => r.frames.at(-1)?.type === "agent.done").length,
    runsRestarted: runs.runs.filter((r) => r.frames.some((f) => f.type === "agent.restart")).length,
    runsResumed: runs.runs.filter((r) => r.resumes > 0).length,
    liveEvents: live.reduce((n, l) => n + l.comparison.received.length, 0),
    liveReconnects: liveClients.reduce((n, c) => n + c.reconnects, 0),
    loadS: Math.round((endAt - loadStart) / 1000),
    wallTimeS: Math.round((Date.now() - loadedAt) / 1000),
  };
  console.log(
    `\nFault suite: ${totals.loadS} s of load, ${totals.wallTimeS} s from the first process started\n${textTable(rows)}\n`,
  );
  console.log(JSON.stringify(totals));
  const reportedAt = new Date();
  const path = await writeReport(
    {
      rows: rows.map(({ incidents: _incidents, ...row }) => row),
      markdown: markdownTable(rows),
      totals,
      incidents: incidents,
      unexpectedExits: fx.unexpectedExits,
      notRecovered,
      books: outcome.audit.books,
      windows,
      // What went wrong during each fault, request by request, and every run that met trouble.
      failedAttempts: trades.attempts.filter((a) => a.outcome !== "filled"),
      troubledRuns: runs.runs
        .filter((r) => r.resumes + r.refusals.length + r.streamErrors.length + r.stalledAt.length > 0)
        .map(({ frames, arrivals: _arrivals, ...r }) => ({
          ...r,
          frames: frames.length,
          last: frames.at(-1)?.type,
        })),
    },
    reportedAt,
  );
  console.log(`written to ${path}`);
  try {
    verdict();
  } catch (err) {
    console.log(`process logs in ${await writeLogs(fx.logs(), reportedAt)}`);
    throw err;
  }

  function verdict() {
    assertNothingLost(fx, load!, outcome);
    assert.deepEqual(notRecovered, [], "trading and live channels recover after every fault");
    for (const row of rows.slice(1)) {
      assert.ok(
        row.firstSuccessAfterMs !== null && row.firstSuccessAfterMs <= recoveryBudgetMs,
        `${row.fault}: trades fill within ${recoveryBudgetMs} ms of its return (took ${row.firstSuccessAfterMs})`,
      );
    }
    assert.ok(totals.filled > 500, `the load traded (${totals.filled} fills)`);
    assert.ok(totals.runsDone > 20, `the load ran agents (${totals.runsDone} runs done)`);
  }
});
