import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildOpsServer } from "../../shared/ops/ops-server.js";
import { until } from "../../test/support/polling.js";
import type { Exchange } from "../exchange/client.js";
import { createExchange } from "../exchange/exchange.js";
import { createPgliteStore, type PgliteStore } from "../exchange/store/pglite-store.js";
import { balancedBooks, exchangeTestConfig } from "../exchange/testing/fixtures.js";
import { restoreEmbeddedBackup } from "./restore.js";

const users = ["ann", "bob", "cat", "dan"];
const maxTradesPerUser = 400;

/**
 * Embedded mode's backup (docs/operations.md, "Embedded mode backup"): `POST /backup` on the
 * operator's listener while trades go on, the tarball restored into a new DATA_DIR as
 * `npm run restore` does, and a store started from it.
 */
describe("embedded backup taken while trading, restored into a new DATA_DIR", () => {
  const dir = mkdtempSync(join(tmpdir(), "embedded-backup-"));
  let store: PgliteStore;
  let exchange: Exchange;
  let markets: { marketId: string; outcome: string }[];

  before(async () => {
    mkdirSync(join(dir, "live"));
    store = createPgliteStore(join(dir, "live", "pglite"));
    await store.migrate();
    exchange = createExchange({ store, config: exchangeTestConfig });
    await exchange.openMarkets({});
    markets = (await exchange.listMarkets({ status: "open" }))
      .slice(0, 3)
      .map((m) => ({ marketId: m.marketId, outcome: Object.keys(m.prices)[0]! }));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const trade = (user: string, n: number) =>
    exchange.trade({
      userId: user,
      ...markets[n % markets.length]!,
      side: "buy",
      shares: 1,
      idempotencyKey: `${user}-${n}`,
    });

  test("every trade filled before the backup began is in it, none filled after it ended, and the books balance", async () => {
    const ops = buildOpsServer({ readiness: async () => ({}), backup: () => store.backup() });
    const filled: { tradeId: string; at: "before" | "during" | "after" }[] = [];
    let phase: "before" | "during" | "after" = "before";
    let running = true;
    const trading = users.map(async (user) => {
      // Bounded: a user's starting credits pay for a few hundred one-share buys.
      for (let n = 0; running && n < maxTradesPerUser; n++) {
        const { tradeId } = await trade(user, n);
        filled.push({ tradeId, at: phase });
        // PGlite answers without leaving the microtask queue: yield as a networked client would,
        // or no timer (the polls below) would ever run.
        await new Promise((r) => setImmediate(r));
      }
    });
    await until(() => filled.length >= 40, 20_000, "40 trades before the backup");
    phase = "during";
    const response = await ops.inject({ method: "POST", url: "/backup" });
    phase = "after";
    await until(() => filled.filter((f) => f.at === "after").length >= 10, 20_000, "10 trades after it");
    running = false;
    await Promise.all(trading);
    await ops.close();
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "application/gzip");

    const file = join(dir, "during.tar.gz");
    writeFileSync(file, response.rawPayload);
    assert.deepEqual(await restoreEmbeddedBackup(file, join(dir, "restored-during")), balancedBooks);
    const restored = createPgliteStore(join(dir, "restored-during", "pglite"));
    try {
      const restoredIds = new Set<string>();
      for (const user of users) {
        for (const t of await restored.trades(user, 10_000)) restoredIds.add(t.tradeId);
      }
      const missing = filled.filter((f) => f.at === "before" && !restoredIds.has(f.tradeId));
      assert.deepEqual(missing, [], "trades filled before the backup began");
      const leaked = filled.filter((f) => f.at === "after" && restoredIds.has(f.tradeId));
      assert.deepEqual(leaked, [], "trades filled after the backup ended");
    } finally {
      await restored.close();
    }
  });

  test("started from a restored backup, the platform's balances equal the original's and it trades on", async () => {
    for (const user of users) await trade(user, 10_000);
    const file = join(dir, "quiet.tar.gz");
    writeFileSync(file, Buffer.from(await (await store.backup()).arrayBuffer()));
    assert.deepEqual(await restoreEmbeddedBackup(file, join(dir, "restored-quiet")), balancedBooks);
    await assert.rejects(restoreEmbeddedBackup(file, join(dir, "restored-quiet")), /exists/);

    const restored = createPgliteStore(join(dir, "restored-quiet", "pglite"));
    try {
      const restoredExchange = createExchange({ store: restored, config: exchangeTestConfig });
      for (const user of users) {
        assert.deepEqual(
          await restoredExchange.getWallet({ userId: user }),
          await exchange.getWallet({ userId: user }),
          user,
        );
        assert.deepEqual(
          await restoredExchange.getPositions({ userId: user }),
          await exchange.getPositions({ userId: user }),
        );
      }
      const again = await restoredExchange.trade({
        userId: "ann",
        ...markets[0]!,
        side: "buy",
        shares: 1,
      });
      assert.ok(again.tradeId);
      assert.deepEqual(await restored.checkBooks(), balancedBooks);
    } finally {
      await restored.close();
    }
  });
});
