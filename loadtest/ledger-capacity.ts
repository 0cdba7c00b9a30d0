import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createPostgresStore } from "../services/exchange/store/postgres-store.js";
import type { Store } from "../services/exchange/store/store.js";
import { createTempDatabase } from "../shared/store/temp-database.js";
import { runReadCosts } from "./ledger-capacity/read-costs.js";
import { type RateResult, runRate } from "./ledger-capacity/trade-rates.js";
import { defaultUserModel, peakRates, primaryLoad, type UserModel } from "./ledger-capacity/user-model.js";
import { cpuMs } from "./lib/proc-cpu.js";
import { formatMs, formatTable, writeResults } from "./lib/report.js";
import { booksViolations } from "./trades/database.js";

/**
 * One PostgreSQL primary's capacity for the ledger's write path (issue 13, "The database at a
 * million users"): the store's trade placement (trade-placement.ts, group commit in
 * trade-batches.ts, postgres-store.ts) driven directly — no NATS, no exchange process — at rising
 * open-loop rates on a temporary database of the local PostgreSQL, each rate beside a baseline of
 * one-row update transactions at the same rate in the same run. Then the cost of each store read
 * the platform serves (wallet, positions, trade history, market lists, price history) on the
 * tables the trades filled. CPU is counted for the PostgreSQL backends of the database and for
 * this process, per trade and per read, which is what scales to a bigger machine.
 * Prints the tables and writes loadtest/results/ledger-capacity-<timestamp>.json.
 *
 * Last, the peak rates of the user model (ledger-capacity/user-model.ts; `--model key=value,…`
 * overrides its defaults) against those costs on an 8-vCPU primary.
 *
 *   flock /tmp/bench.lock npx tsx loadtest/ledger-capacity.ts [--rates 500,1000,…,3000]
 *     [--hot-rates 150,300,600] [--duration 5] [--markets 100] [--users 5000] [--pool 10]
 *     [--read-duration 3] [--read-concurrency 8] [--slo-ms 100] [--cores 8]
 *     [--model users=1000000,tradesPerHour=0.5,peakFactor=6,…]
 */
const { values: flags } = parseArgs({
  options: {
    rates: { type: "string", default: "500,1000,1500,2000,2500,3000" },
    "hot-rates": { type: "string", default: "150,300,600" },
    cores: { type: "string", default: "8" },
    model: { type: "string", default: "" },
    duration: { type: "string", default: "5" },
    markets: { type: "string", default: "100" },
    users: { type: "string", default: "5000" },
    pool: { type: "string", default: "10" },
    "read-duration": { type: "string", default: "3" },
    "read-concurrency": { type: "string", default: "8" },
    "slo-ms": { type: "string", default: "100" },
  },
});
const rates = flags.rates.split(",").map(Number);
const hotRates = flags["hot-rates"].split(",").map(Number);
const targetCores = Number(flags.cores);
const model: UserModel = { ...defaultUserModel };
for (const pair of flags.model.split(",").filter(Boolean)) {
  const [key, value] = pair.split("=");
  if (!(key! in model) || !(Number(value) >= 0)) throw new Error(`--model: unknown or bad ${pair}`);
  (model as unknown as Record<string, number>)[key!] = Number(value);
}
const durationMs = Number(flags.duration) * 1000;
const marketCount = Number(flags.markets);
const userCount = Number(flags.users);
const pool = Number(flags.pool);
const sloMs = Number(flags["slo-ms"]);
if (rates.some((r) => !(r > 0)) || !(durationMs > 0) || !(marketCount >= 1) || !(userCount >= 1)) {
  throw new Error("--rates must be positive, --duration > 0, --markets and --users >= 1");
}

const database = await createTempDatabase();
const store: Store = createPostgresStore(database.url, { maxConnections: pool });
const sql = postgres(database.url, { max: pool, onnotice: () => {} });
try {
  await store.migrate();
  const markets = await openMarkets(store, marketCount);
  await inParallel(userCount, 20, (i) => store.ensureUser(`u${i}`, 100_000_000));
  await sql`CREATE TABLE capacity_baseline (id int PRIMARY KEY, n int8 NOT NULL)`;
  await sql`INSERT INTO capacity_baseline SELECT g, 0 FROM generate_series(0, ${marketCount - 1}) g`;
  const backendCpu = () => postgresBackendCpu(sql, database.name);
  const pick = (n: number) => Math.floor(Math.random() * n);
  const placeTrade = (marketId = markets[pick(markets.length)]!.id) =>
    store.trade({
      userId: `u${pick(userCount)}`,
      marketId,
      outcome: ["home", "draw", "away"][pick(3)]!,
      side: "buy",
      hundredths: 100,
      idempotencyKey: randomUUID(),
    });
  const baselineWrite = (row = pick(marketCount)) =>
    sql.begin((tx) => tx`UPDATE capacity_baseline SET n = n + 1 WHERE id = ${row}`);

  // The optimising compiler and PostgreSQL's caches reach the trade path before anything counts.
  await runRate({ ratePerS: rates[0]!, durationMs: 2000, send: () => placeTrade(), backendCpu });

  /** Rising rates until two in a row break the SLO: past the knee the backlog only grows. */
  async function rising(
    set: string,
    list: readonly number[],
    trade: () => Promise<unknown>,
    base: () => Promise<unknown>,
  ) {
    const out: { set: string; rate: number; trades: RateResult; baseline: RateResult }[] = [];
    for (const rate of list) {
      const trades = await runRate({ ratePerS: rate, durationMs, send: trade, backendCpu });
      const baseline = await runRate({ ratePerS: rate, durationMs, send: base, backendCpu });
      out.push({ set, rate, trades, baseline });
      console.error(
        `${set} ${rate}/s: trades p99 ${formatMs(trades.latencyMs.p99)} ms, baseline ${formatMs(baseline.latencyMs.p99)} ms`,
      );
      if (!meetsSlo(trades) && out.length > 1 && !meetsSlo(out.at(-2)!.trades)) break;
    }
    return out;
  }
  const wide = await rising(
    `${marketCount} markets`,
    rates,
    () => placeTrade(),
    () => baselineWrite(),
  );
  const hotMarket = markets[0]!.id;
  const hot = await rising(
    "one market",
    hotRates,
    () => placeTrade(hotMarket),
    () => baselineWrite(0),
  );
  const results = [...wide, ...hot];
  const sustainedOf = (rows: typeof results) =>
    Math.max(0, ...rows.filter((r) => meetsSlo(r.trades)).map((r) => r.rate));
  const sustained = sustainedOf(wide);
  const sustainedHot = sustainedOf(hot);
  const tradesMade = Number((await sql`SELECT count(*)::int8 AS n FROM trades`)[0]!.n);
  const books = await store.checkBooks();
  const violations = booksViolations(books);

  const reads = await runReadCosts(store, {
    durationMs: Number(flags["read-duration"]) * 1000,
    concurrency: Number(flags["read-concurrency"]),
    userCount,
    markets,
    backendCpu,
  });

  console.log(
    `\nLedger write path on one PostgreSQL primary (${cpus().length} cores shared with this driver), ${marketCount} markets, ${userCount} users, pool ${pool}, ${durationMs / 1000} s per rate\n`,
  );
  console.log(
    formatTable(
      [
        "set",
        "offered/s",
        "trades/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "baseline p50",
        "baseline p99",
        "p99 / baseline",
        "pg CPU ms/trade",
        "driver CPU ms/trade",
        "SLO",
      ],
      results.map(({ set, rate, trades, baseline }) => [
        set,
        String(rate),
        trades.completedPerS.toFixed(0),
        formatMs(trades.latencyMs.p50),
        formatMs(trades.latencyMs.p99),
        String(trades.errors),
        formatMs(baseline.latencyMs.p50),
        formatMs(baseline.latencyMs.p99),
        `${(trades.latencyMs.p99 / baseline.latencyMs.p99).toFixed(1)}x`,
        trades.backendCpuMsPerOp.toFixed(3),
        trades.driverCpuMsPerOp.toFixed(3),
        meetsSlo(trades) ? "met" : "broken",
      ]),
    ),
  );
  console.log(
    `\nSustained at p99 <= ${sloMs} ms: ${sustained} trades/s over ${marketCount} markets, ${sustainedHot}/s on one market. Books after ${tradesMade} trades: ${violations} violations.\n`,
  );
  console.log(
    `Store reads on those tables (${reads[0]?.concurrency} at a time, ${flags["read-duration"]} s each)\n`,
  );
  console.log(
    formatTable(
      ["read", "rows", "reads/s", "p50 ms", "p99 ms", "pg CPU ms/read", "driver CPU ms/read"],
      reads.map((r) => [
        r.name,
        r.rows.toFixed(1),
        r.perS.toFixed(0),
        formatMs(r.latencyMs.p50),
        formatMs(r.latencyMs.p99),
        r.backendCpuMsPerOp.toFixed(3),
        r.driverCpuMsPerOp.toFixed(3),
      ]),
    ),
  );
  const atSustained = wide.find((r) => r.rate === sustained)?.trades;
  // Each kind of read in a class counts equally (the model does not split a class further).
  const readCpu = (names: string[]) => {
    const picked = reads.filter((r) => names.some((n) => r.name.startsWith(n)));
    return picked.reduce((sum, r) => sum + r.backendCpuMsPerOp, 0) / picked.length;
  };
  const costs = {
    tradeCpuMs: atSustained?.backendCpuMsPerOp ?? Number.NaN,
    primaryReadCpuMs: readCpu(["wallet", "positions", "market:"]),
    listReadCpuMs: readCpu(["trade history", "match list", "open list", "price history"]),
  };
  const peak = peakRates(model);
  const load = primaryLoad(peak, costs, targetCores);
  const tradesOnlyCapacity = (targetCores * 0.7 * 1000) / costs.tradeCpuMs;
  console.log(`\nA million users: ${JSON.stringify(model)}\n`);
  console.log(
    formatTable(
      ["work at the peak", "per s", "pg CPU ms each", `cores of ${targetCores}`],
      [
        ["trades", peak.trades.toFixed(0), costs.tradeCpuMs.toFixed(3), load.tradeCores.toFixed(2)],
        [
          "primary reads (quotes, wallet, positions: mean of the three)",
          peak.primaryReads.toFixed(0),
          costs.primaryReadCpuMs.toFixed(3),
          load.primaryReadCores.toFixed(2),
        ],
        [
          "list reads (trade and price history, lists: mean of the four)",
          peak.listReads.toFixed(0),
          costs.listReadCpuMs.toFixed(3),
          load.listReadCores.toFixed(2),
        ],
        ["total", "", "", load.totalCores.toFixed(2)],
      ],
    ),
  );
  console.log(
    `\n${(load.utilisation * 100).toFixed(0)} % of ${targetCores} cores at a 70 % ceiling; trades alone would fill it at ${tradesOnlyCapacity.toFixed(0)}/s.`,
  );
  const withReplica = (load.tradeCores + load.primaryReadCores) / (targetCores * 0.7);
  console.log(
    `With DATABASE_READ_URL the list reads move to the replica: the primary at ${(withReplica * 100).toFixed(0)} %, the replica at ${((load.listReadCores / (targetCores * 0.7)) * 100).toFixed(0)} %.`,
  );
  const path = await writeResults("ledger-capacity", {
    at: new Date().toISOString(),
    cores: cpus().length,
    loadavgBefore: loadavg(),
    flags,
    sloMs,
    sustainedTradesPerS: sustained,
    sustainedHotMarketTradesPerS: sustainedHot,
    model,
    peak,
    costs,
    primaryLoad: load,
    primaryUtilisationWithReplica: withReplica,
    targetCores,
    tradesOnlyCapacityPerS: tradesOnlyCapacity,
    tradesMade,
    books,
    violations,
    rates: results,
    reads,
  });
  console.log(`\n${path}`);
} finally {
  await store.close();
  await sql.end({ timeout: 5 });
  await database.drop();
}

function meetsSlo(r: RateResult): boolean {
  return r.errors === 0 && r.latencyMs.p99 <= sloMs && r.completedPerS >= 0.97 * r.offeredPerS;
}

async function openMarkets(s: Store, count: number) {
  const opened = [];
  for (let i = 0; i < count; i++) {
    const { market } = await s.openMarket({
      id: `cap${String(i).padStart(4, "0")}.1x2`,
      matchId: `cap${String(i).padStart(4, "0")}`,
      kind: "1x2",
      title: `Capacity ${i}`,
      outcomes: ["home", "draw", "away"],
      prices: [0.45, 0.27, 0.28],
      liquidity: 5000,
    });
    opened.push(market);
  }
  return opened;
}

async function inParallel(count: number, width: number, work: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * CPU ms used so far by the PostgreSQL processes serving `name` (its client backends) plus the
 * WAL writer, which every commit wakes: the server's share of the work, read from /proc.
 */
async function postgresBackendCpu(admin: postgres.Sql, name: string): Promise<number> {
  const rows = await admin<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity
    WHERE (datname = ${name} AND backend_type = 'client backend') OR backend_type = 'walwriter'`;
  return rows.reduce((sum, r) => sum + (cpuMs(r.pid) || 0), 0);
}
