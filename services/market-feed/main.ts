import { createLivePublisher } from "../../shared/bus/live-publisher.js";
import { connectNats } from "../../shared/bus/nats-connection.js";
import { createNatsLiveStream } from "../../shared/bus/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/nats-rpc.js";
import { loadConfig } from "../../shared/config.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createLogger } from "../../shared/logger.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { createPostgresStore } from "../../shared/store/postgres-store.js";
import { createExchangeClient } from "../exchange/rpc.js";
import { createMarketFeed } from "./market-feed.js";
import { createNatsLeaderLease } from "./nats-leader-lease.js";

/**
 * The market feed as its own process (distributed mode). Run two or more: they share the lease
 * `${STREAM_PREFIX}FEED_LEADER` on NATS and only its holder runs the match clock, publishing match
 * events on the LIVE stream and driving the markets through the exchange over NATS request/reply
 * (the exchange publishes the market and user events). A standby takes over `FEED_LEASE_MS` after
 * the leader dies. SIGTERM/SIGINT stop the clock between two events and release the lease, so a
 * standby takes over at once.
 */
const config = loadConfig();
const logger = createLogger(config, { service: "market-feed" });
if (!config.feedEnabled) {
  logger.info("market feed disabled (FEED_ENABLED=false)");
  process.exit(0);
}
const nc = await connectNats(config, "market-feed");
const live = await createNatsLiveStream(nc, {
  streamPrefix: config.streamPrefix,
  subjectPrefix: config.subjectPrefix,
  maxAgeMs: config.liveMaxAgeMs,
  maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
});
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Score alerts live in PostgreSQL; every match event the clock publishes fires the ones it meets.
const store = createPostgresStore(config.databaseUrl, { maxConnections: 2 });
await store.migrate();
const publisher = createLivePublisher(live, {
  alerts: createAlertBook(store),
  onAlertError: (err, topic) => logger.error({ err, topic }, "alert delivery failed"),
});
const lease = await createNatsLeaderLease(nc, {
  bucket: `${config.streamPrefix}FEED_LEADER`,
  ttlMs: config.feedLeaseMs,
});
const dataset = loadDataset();
const feed = createMarketFeed({
  config,
  live,
  publisher,
  exchange: createExchangeClient(rpc),
  dataset,
  model: fitModel(dataset),
  lease,
  onError: (err, context) => logger.error({ err, ...context }, "market feed fault"),
  onLeading: (leading) => logger.info({ leading }, leading ? "leading: match clock running" : "standing by"),
});
feed.start();
logger.info(
  { leaseMs: config.feedLeaseMs, matchDurationMs: config.feedMatchDurationMs },
  "market feed started",
);

stopOnSignal(logger, async () => {
  await feed.stop();
  await live.close();
  await rpc.close();
  await nc.drain();
  await store.close();
});
