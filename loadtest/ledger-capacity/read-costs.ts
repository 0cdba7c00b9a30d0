import type { MarketRecord, Store } from "../../services/exchange/store/store.js";
import { epochNow } from "../lib/open-loop.js";
import { type Summary, summarize } from "../lib/stats.js";

export interface ReadCost {
  name: string;
  concurrency: number;
  /** Rows (or items) each read answered, on average. */
  rows: number;
  perS: number;
  latencyMs: Summary;
  backendCpuMsPerOp: number;
  driverCpuMsPerOp: number;
}

/**
 * Each store read the platform serves, closed loop with `concurrency` readers for `durationMs`:
 * how many per second one primary answers on this machine and the CPU each costs the
 * PostgreSQL backends and this process. Users and markets are picked at random, so a read meets
 * the tables as the trades left them (history of a user who traded, prices of a traded market).
 */
export async function runReadCosts(
  store: Store,
  options: {
    durationMs: number;
    concurrency: number;
    userCount: number;
    markets: readonly MarketRecord[];
    backendCpu: () => Promise<number>;
  },
): Promise<ReadCost[]> {
  const { markets, userCount } = options;
  const pick = (n: number) => Math.floor(Math.random() * n);
  const user = () => `u${pick(userCount)}`;
  const market = () => markets[pick(markets.length)]!;
  const reads: [string, () => Promise<number>][] = [
    ["wallet: balance(user)", async () => ((await store.balance(user())) === undefined ? 0 : 1)],
    ["positions(user)", async () => (await store.positions(user())).length],
    ["trade history: trades(user, 100)", async () => (await store.trades(user(), 100)).length],
    ["market: market(id)", async () => ((await store.market(market().id)) ? 1 : 0)],
    [
      "match list: markets({matchId})",
      async () => (await store.markets({ matchId: market().matchId })).length,
    ],
    ["open list: markets({status: open})", async () => (await store.markets({ status: "open" })).length],
    ["price history: priceHistory(id, 500)", async () => (await store.priceHistory(market().id, 500)).length],
  ];
  const costs: ReadCost[] = [];
  for (const [name, read] of reads) {
    // Warm: prepared statements on every pooled connection, pages in the buffer cache.
    for (let i = 0; i < 50; i++) await read();
    const latencies: number[] = [];
    let rows = 0;
    const pgBefore = await options.backendCpu();
    const cpuBefore = process.cpuUsage();
    const endAt = epochNow() + options.durationMs;
    const startedAt = epochNow();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (epochNow() < endAt) {
          const t0 = epochNow();
          const answered = await read();
          rows += answered;
          latencies.push(epochNow() - t0);
        }
      }),
    );
    const elapsedS = (epochNow() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const pgMs = (await options.backendCpu()) - pgBefore;
    costs.push({
      name,
      concurrency: options.concurrency,
      rows: rows / latencies.length,
      perS: latencies.length / elapsedS,
      latencyMs: summarize(latencies),
      backendCpuMsPerOp: pgMs / latencies.length,
      driverCpuMsPerOp: (cpu.user + cpu.system) / 1000 / latencies.length,
    });
  }
  return costs;
}
