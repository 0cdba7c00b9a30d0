import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createExchange } from "../../services/exchange/exchange.js";
import { createPostgresStore } from "../../services/exchange/store/postgres-store.js";
import type { Store } from "../../services/exchange/store/store.js";
import { balancedBooks, exchangeTestConfig } from "../../services/exchange/testing/fixtures.js";
import { type OwnedPostgres, startPostgresServer } from "../support/owned-servers.js";
import { pause, until } from "../support/polling.js";
import {
  restoreCluster,
  shippedBackupSettings,
  startWalArchive,
  takeBaseBackup,
  type WalArchive,
} from "../support/postgres-backup.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const loops = 8;
/** Trades acknowledged in each phase: enough that every phase spans many commits on every market. */
const tradesPerPhase = 150;
const restorePoint = "drill";
/** How long the WAL archive is frozen before the primary is lost. */
const archiveStallMs = 300;

interface Call {
  key: string;
  /** Set when the exchange acknowledged the trade. */
  tradeId?: string;
  /** Set when the call began after the restore point was taken. */
  afterPoint: boolean;
}

/**
 * The restore drill of docs/operations.md ("Restore drill"), on a cluster this test owns, started
 * with the shipped settings (infra/postgres/backup.conf) and its WAL streamed to an archive by
 * `pg_receivewal`: trade through the exchange, take a base backup, keep trading, name a restore
 * point, keep trading, lose the primary and its disk under trading; then restore twice into fresh
 * clusters — to the named point, and to the end of the archive (what a lost primary costs) — and
 * serve trades from each. Prints the recovery times it measured.
 */
describe("restore drill: base backup + WAL archive → a fresh cluster at a named point", () => {
  let primary: OwnedPostgres;
  let archive: WalArchive;
  let backupDir: string;
  const calls: Call[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    primary = await startPostgresServer({ settings: shippedBackupSettings(root) });
    cleanups.push(() => primary.stop());
    archive = await startWalArchive(primary);
    cleanups.push(() => archive.remove());
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  test("the named point holds every trade acknowledged before it and none begun after; the archive's end holds every acknowledged trade", async () => {
    const store = createPostgresStore(primary.url, { maxConnections: loops });
    const exchange = createExchange({ store, config: exchangeTestConfig });
    await store.migrate();
    await exchange.openMarkets({});
    const markets = (await exchange.listMarkets({ status: "open" })).slice(0, 4);
    let afterPoint = false;
    let running = true;
    const trading = Array.from({ length: loops }, async (_, loop) => {
      for (let n = 0; running; n++) {
        const market = markets[n % markets.length]!;
        const call: Call = { key: `${loop}-${n}`, afterPoint };
        calls.push(call);
        try {
          const trade = await exchange.trade({
            userId: `u${loop}`,
            marketId: market.marketId,
            outcome: Object.keys(market.prices)[n % 2]!,
            side: "buy",
            shares: 1,
            idempotencyKey: call.key,
          });
          call.tradeId = trade.tradeId;
        } catch {
          // Only once the primary is lost; pace the retries as a client would.
          await pause(20);
        }
      }
    });
    const acked = () => calls.filter((c) => c.tradeId !== undefined);
    const tradeMore = (count: number) => {
      const target = acked().length + count;
      return until(() => acked().length >= target, 20_000, `${count} more trades`);
    };

    await tradeMore(tradesPerPhase);
    backupDir = await takeBaseBackup(primary);
    cleanups.push(async () => rmSync(backupDir, { recursive: true, force: true }));
    await tradeMore(tradesPerPhase);
    const beforePoint = new Set(acked().map((c) => c.tradeId!));
    const admin = postgres(primary.url, { max: 1, onnotice: () => {} });
    await admin`SELECT pg_create_restore_point(${restorePoint})`;
    await admin.end();
    afterPoint = true;
    // Counted by when each trade began: up to `loops` trades in flight at the point are
    // acknowledged after it, and they are not the ones this phase is for.
    await until(
      () => acked().filter((c) => c.afterPoint).length >= tradesPerPhase,
      20_000,
      `${tradesPerPhase} trades begun after the point`,
    );

    // The archive stalls while trading goes on, then the primary is lost with its disk, trades in
    // flight: whatever the exchange acknowledged meanwhile must be in the archive already.
    archive.pause();
    const acknowledgedAtPause = acked().length;
    await pause(archiveStallMs);
    await primary.crash();
    await archive.kill();
    running = false;
    await Promise.all(trading);
    await store.close();
    await primary.stop();
    const acknowledged = new Set(acked().map((c) => c.tradeId!));
    const begunAfterPoint = acked().filter((c) => c.afterPoint);
    assert.ok(begunAfterPoint.length >= tradesPerPhase, "trades were acknowledged after the point");

    const atPoint = await restoreAndServe(backupDir, archive.dir, cleanups, restorePoint);
    const missing = [...beforePoint].filter((id) => !atPoint.tradeIds.has(id));
    assert.deepEqual(missing, [], "every trade acknowledged before the point is restored");
    const leaked = begunAfterPoint.filter((c) => atPoint.tradeIds.has(c.tradeId!));
    assert.deepEqual(leaked, [], "no trade begun after the point is restored");

    const atEnd = await restoreAndServe(backupDir, archive.dir, cleanups);
    const lost = [...acknowledged].filter((id) => !atEnd.tradeIds.has(id));
    assert.deepEqual(lost, [], "no acknowledged trade is lost with the primary (RPO 0)");

    console.log(
      `restore drill: ${acknowledged.size} trades acknowledged (${beforePoint.size} before the point); ` +
        `restored to the point: ${atPoint.tradeIds.size} trades, serving after ${atPoint.recoveryMs} ms ` +
        `(${atPoint.replayMs} ms to promotion); to the archive's end: ${atEnd.tradeIds.size} trades, ` +
        `serving after ${atEnd.recoveryMs} ms (${atEnd.replayMs} ms to promotion); ` +
        `${acknowledged.size - acknowledgedAtPause} acknowledged while the archive was frozen`,
    );
  });
});

/**
 * Restores into a fresh cluster, then checks it as the platform would use it: the books balance,
 * and the exchange fills a trade on it. Returns the trade ids it holds (before that trade), and how
 * long it took from the start of the restore to promotion and to that first fill.
 */
async function restoreAndServe(
  backupDir: string,
  archiveDir: string,
  cleanups: (() => Promise<void>)[],
  target?: string,
) {
  const startedAt = performance.now();
  const restored = await restoreCluster(backupDir, archiveDir, target);
  cleanups.push(() => restored.stop());
  const promotedAt = performance.now();
  const store: Store = createPostgresStore(restored.url, { maxConnections: 2 });
  try {
    const exchange = createExchange({ store, config: exchangeTestConfig });
    const market = (await exchange.listMarkets({ status: "open" }))[0]!;
    const fill = await exchange.trade({
      userId: "after-restore",
      marketId: market.marketId,
      outcome: Object.keys(market.prices)[0]!,
      side: "buy",
      shares: 1,
      idempotencyKey: "after-restore",
    });
    const servingAt = performance.now();
    assert.deepEqual(await store.checkBooks(), balancedBooks, "the restored ledger balances");
    const sql = postgres(restored.url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ id: string }[]>`SELECT id::text FROM trades WHERE id::text <> ${fill.tradeId}`;
    await sql.end();
    return {
      tradeIds: new Set(rows.map((r) => r.id)),
      replayMs: Math.round(promotedAt - startedAt),
      recoveryMs: Math.round(servingAt - startedAt),
    };
  } finally {
    await store.close();
  }
}
