import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createMemoryLiveStream } from "../../../shared/bus/live-stream/memory-live-stream.js";
import { loadConfig } from "../../../shared/config.js";
import { loadDataset } from "../../../shared/epl/dataset.js";
import type { Exchange } from "../../exchange/client.js";
import { createExchange } from "../../exchange/exchange.js";
import { createPgliteStore } from "../../exchange/store/pglite-store.js";
import { findFixtures } from "./fixtures.js";
import { createLiveScores } from "./live-scores.js";

const epl = loadDataset();
const matchId = "2025-26-arsenal-everton";
const store = createPgliteStore("memory");
let exchange: Exchange;

before(async () => {
  await store.migrate();
  exchange = createExchange({ store, config: loadConfig({}, {}), dataset: epl });
  await exchange.openMarkets({ matchIds: [matchId] });
});
after(() => store.close());

test("a fixture the feed is playing is described live (status, score, minute), not as scheduled", async () => {
  const stream = createMemoryLiveStream();
  const live = createLiveScores({ dataset: epl, stream });
  const before = await findFixtures({ epl, exchange, live }, { matchId }, 1);
  assert.deepEqual([before.fixtures[0]?.status, before.fixtures[0]?.score], ["scheduled", undefined]);

  await stream.publish(`match.${matchId}`, {
    matchId,
    kind: "kickoff",
    minute: 0,
    score: { home: 0, away: 0 },
  });
  await stream.publish(`match.${matchId}`, {
    matchId,
    kind: "goal",
    minute: 31,
    score: { home: 1, away: 0 },
    team: "Arsenal FC",
  });
  const during = (await findFixtures({ epl, exchange, live }, { matchId }, 1)).fixtures[0]!;
  assert.deepEqual([during.status, during.score, during.minute], ["live", "1-0", 31]);
  assert.equal(during.markets.length, 3);
  await stream.close();
});
