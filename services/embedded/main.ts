import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig } from "../../shared/config.js";
import { exitOnUnexpectedError } from "../../shared/crash-only.js";
import { createLogger } from "../../shared/logger.js";
import { stopOnSignal } from "../../shared/stop-on-signal.js";
import { buildPlatform } from "./platform.js";

/**
 * `npm start`: the whole platform in one process on HOST:PORT (default 127.0.0.1:8080), data under
 * DATA_DIR. SIGTERM/SIGINT drain and exit; an unexpected exception exits 1 (crash-only).
 */
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const logger = createLogger(config, { service: "embedded" });
exitOnUnexpectedError(logger);
if (config.dataDir !== "memory") mkdirSync(config.dataDir, { recursive: true });
const platform = await buildPlatform(config, logger);
const address = await platform.app.listen({ host: config.host, port: config.port });
logger.info({ address, model: config.anthropicApiKey ? config.anthropicModel : "offline" }, "platform ready");

stopOnSignal(logger, async () => {
  await platform.close();
});
