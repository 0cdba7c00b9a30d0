import { mkdirSync } from "node:fs";
import { loadConfigOrExit } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { createLogger } from "../../shared/logger.js";
import { buildOpsServer } from "../../shared/ops/ops-server.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { secureDefaults } from "../gateway/auth/secure-defaults.js";
import { buildPlatform } from "./platform.js";

/**
 * `npm start`: the whole platform in one process on HOST:PORT (default 127.0.0.1:8080), data under
 * DATA_DIR, `/metrics` (and `POST /backup`, `npm run backup`) on METRICS_HOST:METRICS_PORT. Bound to an address other than loopback it
 * refuses the built-in JWT_SECRET (one line naming it, exit 1). SIGTERM/SIGINT drain and exit;
 * an unexpected exception exits 1 (crash-only).
 */
const config = loadConfigOrExit();
// Before any port is built: each decides once, when built, whether to trace.
const tracing = startTracing({ service: "embedded" });
const root = createLogger(config);
const logger = root.child({ service: "embedded" });
const { refusal } = secureDefaults(config, "embedded");
if (refusal !== undefined) {
  logger.fatal({ variable: refusal.variable }, refusal.message);
  process.exit(1);
}
exitOnUnexpectedError(logger);
if (config.dataDir !== "memory") mkdirSync(config.dataDir, { recursive: true });
const platform = await buildPlatform(config, root);
const address = await platform.app.listen({ host: config.host, port: config.port });
// Everything runs in this process: nothing to wait for, so it is ready once it listens.
const metricsServer = buildOpsServer({
  readiness: async () => ({}),
  registry: platform.scrape,
  backup: platform.backup,
});
const metricsAddress = await metricsServer.listen({ host: config.metricsHost, port: config.metricsPort });
logger.info(
  {
    address,
    metrics: `${metricsAddress}/metrics`,
    model: config.anthropicApiKey ? config.anthropicModel : "offline",
  },
  "platform ready",
);

stopOnSignal(logger, async () => {
  await metricsServer.close();
  await platform.close();
  await tracing.shutdown();
});
