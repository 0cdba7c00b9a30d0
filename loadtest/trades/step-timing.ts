import { parseArgs } from "node:util";
import postgres from "postgres";
import { createExchange } from "../../services/exchange/exchange.js";
import { buildSqlStore } from "../../services/exchange/store/sql-store.js";
import type { SqlDatabase, SqlRunner } from "../../shared/store/sql.js";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { formatMs, formatTable } from "../lib/report.js";
import { summarize } from "../lib/stats.js";

/**
 * Where a trade's time goes inside PostgreSQL: the exchange's real trade (exchange.ts over
 * sql-store.ts, so the very statements the deployment runs) on a store whose driver times every
 * statement and the commit, on a temporary database, from one process. Trades run closed-loop
 * at `--concurrency`, on one hot market and then over 50 markets, once with postgres.js's
 * default for `unsafe` queries (unprepared: a parameterised statement is a Parse/Describe round
 * trip and then a Bind/Execute round trip) and once with `prepare: true` (one round trip once
 * the statement is cached on the connection). Prints trades/s and ms per statement.
 *
 *   npx tsx loadtest/trades/step-timing.ts [--trades 1500] [--concurrency 10]
 */
const { values: flags } = parseArgs({
  options: {
    trades: { type: "string", default: "1500" },
    concurrency: { type: "string", default: "10" },
  },
});
const tradeCount = Number(flags.trades);
const concurrency = Number(flags.concurrency);

type Timings = Map<string, number[]>;

/** The PostgreSQL driver (shared/store/postgres-database.ts), with `prepare` chosen and every statement timed by its first words. */
function timedDatabase(
  url: string,
  prepare: boolean,
  timings: Timings,
): SqlDatabase & { end(): Promise<void> } {
  const sql = postgres(url, {
    max: concurrency,
    onnotice: () => {},
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  const record = (label: string, ms: number) => {
    const list = timings.get(label) ?? [];
    list.push(ms);
    timings.set(label, list);
  };
  const runner = (s: postgres.Sql | postgres.TransactionSql): SqlRunner => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) => {
      const start = performance.now();
      const rows = await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
      const words = text.replace(/\s+/g, " ").trim();
      record(
        `${words.slice(0, 56)}${words.endsWith("FOR UPDATE OF m") ? " … FOR UPDATE" : ""}`,
        performance.now() - start,
      );
      return rows as unknown as Row[];
    },
    exec: async (script: string) => {
      await s.unsafe(script).simple();
    },
  });
  return {
    ...runner(sql),
    transaction: async <T>(work: (tx: SqlRunner) => Promise<T>) => {
      const start = performance.now();
      let workDone = 0;
      const result = (await sql.begin(async (tx) => {
        const value = await work(runner(tx));
        workDone = performance.now();
        return value;
      })) as T;
      record("COMMIT", performance.now() - workDone);
      record("whole transaction (BEGIN … COMMIT)", performance.now() - start);
      return result;
    },
    close: () => sql.end({ timeout: 5 }),
    end: () => sql.end({ timeout: 5 }),
  };
}

async function measure(prepare: boolean, marketCount: number) {
  const temp = await createTempDatabase();
  const timings: Timings = new Map();
  const db = timedDatabase(temp.url, prepare, timings);
  try {
    const store = buildSqlStore(db);
    await store.migrate();
    const exchange = createExchange({
      store,
      config: {
        startingBalance: 1000,
        liquidityMatchResult: 250,
        liquidityOverUnder: 200,
        liquidityBtts: 200,
      },
    });
    await exchange.openMarkets({});
    const markets = (await exchange.listMarkets({ status: "open" })).slice(0, marketCount);
    const users = Array.from({ length: 100 }, (_, i) => `step-${i}`);
    for (const userId of users) await exchange.getWallet({ userId });
    timings.clear();
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < tradeCount) {
          const i = next++;
          const market = markets[i % markets.length]!;
          const user = users[i % users.length]!;
          // Buy, then sell the same share on the user's next turn: holdings never run out.
          const side = Math.floor(i / users.length) % 2 === 0 ? "buy" : "sell";
          await exchange.trade({
            userId: user,
            marketId: market.marketId,
            outcome: market.outcomes[0]!,
            side,
            shares: 1,
            idempotencyKey: `k${i}`,
          });
        }
      }),
    );
    const tradesPerS = tradeCount / ((performance.now() - start) / 1000);
    return { tradesPerS, timings };
  } finally {
    await db.end();
    await temp.drop();
  }
}

const rows: string[][] = [];
for (const marketCount of [1, 50]) {
  for (const prepare of [false, true]) {
    const { tradesPerS, timings } = await measure(prepare, marketCount);
    const label = `${marketCount === 1 ? "hot market" : "50 markets"}, prepare ${prepare}`;
    console.log(`\n${label}: ${tradesPerS.toFixed(0)} trades/s (${concurrency} at a time)`);
    rows.push([label, tradesPerS.toFixed(0)]);
    console.log(
      formatTable(
        ["statement", "per trade", "p50 ms", "p99 ms", "mean ms"],
        [...timings.entries()].map(([text, values]) => {
          const s = summarize(values);
          return [
            text,
            (values.length / tradeCount).toFixed(2),
            formatMs(s.p50),
            formatMs(s.p99),
            s.mean.toFixed(2),
          ];
        }),
      ),
    );
  }
}
console.log(`\n${formatTable(["run", "trades/s"], rows)}`);
