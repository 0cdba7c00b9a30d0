import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import type { Exchange } from "../../exchange/client.js";
import { createExchange } from "../../exchange/exchange.js";
import { exchangeLiveEvent } from "../../exchange/live-events.js";
import { createPgliteStore } from "../../exchange/store/pglite-store.js";
import { exchangeTestConfig as config } from "../../exchange/testing/fixtures.js";
import { followMarkets } from "./followed-markets.js";

const epl = loadDataset();
const [first, second, later] = epl.matches.filter((m) => m.status !== "finished").map((m) => m.id) as [
  string,
  string,
  string,
];
const store = createPgliteStore("memory");
const stream = createMemoryLiveStream();
const calls = { listMarkets: 0, getMarket: 0 };
let exchange: Exchange;
let counted: Exchange;

before(async () => {
  await store.migrate();
  // The exchange puts every event on LIVE, as exchangeEventSink does in a deployment.
  exchange = createExchange({
    store,
    config,
    dataset: epl,
    publish: (event) => {
      const { topic, data } = exchangeLiveEvent(event);
      void stream.publish(topic, data);
    },
  });
  await exchange.openMarkets({ matchIds: [first, second] });
  counted = {
    ...exchange,
    listMarkets: (input) => {
      calls.listMarkets++;
      return exchange.listMarkets(input);
    },
    getMarket: (input) => {
      calls.getMarket++;
      return exchange.getMarket(input);
    },
  };
});
after(async () => {
  await stream.close();
  await store.close();
});

const settled = () => new Promise((r) => setImmediate(r));

test("a fixture's markets read from the model are the exchange's, after trades, repricing, suspension, settlement and new markets", async (t) => {
  const followed = followMarkets(counted, stream);
  t.after(() => followed.close());
  const same = async () => {
    await settled();
    for (const matchId of [first, second, later]) {
      assert.deepEqual(
        await followed.exchange.listMarkets({ matchId }),
        await exchange.listMarkets({ matchId }),
      );
    }
  };
  await same();
  const homePrice = async () =>
    (await followed.exchange.listMarkets({ matchId: first })).find((m) => m.kind === "1x2")!.prices.home!;
  const homeBefore = await homePrice();
  await exchange.trade({ userId: "ann", marketId: `${first}.1x2`, outcome: "home", side: "buy", shares: 40 });
  await exchange.reprice({ marketId: `${first}.ou25`, prices: { over: 0.6, under: 0.4 } });
  await exchange.setMarketStatus({ marketId: `${second}.1x2`, status: "suspended" });
  await exchange.settle({ marketId: `${second}.btts`, winner: "yes" });
  await exchange.openMarkets({ matchIds: [later] });
  await same();
  assert.ok((await homePrice()) > homeBefore, "the trade moved the price");
});

test("looking markets up costs one snapshot, not an exchange request each, and the new markets one read each", async (t) => {
  const followed = followMarkets(counted, stream);
  t.after(() => followed.close());
  const before = { ...calls };
  for (let i = 0; i < 100; i++) await followed.exchange.listMarkets({ matchId: i % 2 ? first : second });
  assert.equal(calls.listMarkets - before.listMarkets, 1);
  const another = epl.matches.filter((m) => m.status !== "finished")[3]!.id;
  await exchange.openMarkets({ matchIds: [another] });
  await settled();
  assert.equal((await followed.exchange.listMarkets({ matchId: another })).length, 3);
  assert.deepEqual([calls.listMarkets - before.listMarkets, calls.getMarket - before.getMarket], [1, 3]);
  // Filters the model does not hold still go to the exchange.
  await followed.exchange.listMarkets({ status: "open" });
  assert.equal(calls.listMarkets - before.listMarkets, 2);
});
