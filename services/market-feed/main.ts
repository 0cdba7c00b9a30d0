import { createLivePublisher } from "../../shared/bus/live-stream/live-publisher.js";
import { liveStreamOptions } from "../../shared/bus/live-stream/live-stream-options.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { createNatsRpc } from "../../shared/bus/rpc/nats-rpc.js";
import { loadConfig } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { loadDataset } from "../../shared/epl/dataset.js";
import { fitModel } from "../../shared/epl/model.js";
import { AppError } from "../../shared/errors.js";
import { createAlertBook } from "../../shared/journal/alert-book.js";
import { createLogger } from "../../shared/logger.js";
import { startDependencies } from "../../shared/ops/start-dependencies.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { createPostgresAgentRecords } from "../../shared/store/agent-records-database.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { createExchangeClient } from "../exchange/client.js";
import { createMarketFeed } from "./market-feed.js";
import { createNatsLeaderLease } from "./nats-leader-lease.js";

/**
 * The market feed as its own process (distributed mode). Run two or more: they share the lease
 * `${STREAM_PREFIX}FEED_LEADER` on NATS and only its holder runs the match clock, publishing match
 * events on the LIVE stream and driving the markets through the exchange over NATS request/reply
 * (the exchange publishes the market and user events). A standby takes over `FEED_LEASE_MS` after
 * the leader dies. SIGTERM/SIGINT stop the clock between two events and release the lease, so a
 * standby takes over at once. A dependency missing at start is waited for (one log line naming
 * it), `/readyz` of the ops listener (METRICS_HOST:METRICS_PORT) naming it meanwhile; an
 * unexpected exception exits (crash-only).
 */
const config = loadConfig();
// Before any port is built: each decides once, when built, whether to trace.
const tracing = startTracing({ service: "market-feed" });
const logger = createLogger(config, { service: "market-feed" });
exitOnUnexpectedError(logger);
if (!config.feedEnabled) {
  logger.info("market feed disabled (FEED_ENABLED=false)");
  process.exit(0);
}
const records = createPostgresAgentRecords(config.databaseUrl, { maxConnections: 2 });
const { nc, ops, metrics } = await startDependencies(config, logger, {
  service: "market-feed",
  database: records,
});
const live = await createNatsLiveStream(nc, liveStreamOptions(config));
const rpc = createNatsRpc(nc, { subjectPrefix: config.subjectPrefix });
// Score alerts live in PostgreSQL; every match event the clock publishes fires the ones it meets.
const publisher = createLivePublisher(live, {
  alerts: createAlertBook(records),
  onAlertError: (err, topic) => logger.error({ err, topic }, "alert delivery failed"),
});
const lease = await createNatsLeaderLease(nc, {
  bucket: `${config.streamPrefix}FEED_LEADER`,
  ttlMs: config.feedLeaseMs,
  replicas: config.natsReplicas,
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
  onError: (err, context) => {
    metrics.errors.inc({ code: err instanceof AppError ? err.code : "internal", transport: "nats" });
    logger.error({ err, ...context }, "market feed fault");
  },
  onLeading: (leading) => logger.info({ leading }, leading ? "leading: match clock running" : "standing by"),
});
feed.start();
logger.info(
  { leaseMs: config.feedLeaseMs, matchDurationMs: config.feedMatchDurationMs },
  "market feed started",
);

stopOnSignal(logger, async () => {
  await ops.close();
  await feed.stop();
  await live.close();
  await rpc.close();
  await nc.drain();
  await records.close();
  await tracing.shutdown();
});
