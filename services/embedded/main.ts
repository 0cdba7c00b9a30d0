import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig } from "../../shared/config.js";
import { createLogger } from "../../shared/logger.js";
import { buildPlatform } from "./platform.js";

/**
 * `npm start`: the whole platform in one process on HOST:PORT (default 127.0.0.1:8080), data under
 * DATA_DIR. SIGTERM/SIGINT drain and exit.
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
if (config.dataDir !== "memory") mkdirSync(config.dataDir, { recursive: true });
const platform = await buildPlatform(config, logger);
const address = await platform.app.listen({ host: config.host, port: config.port });
logger.info({ address, model: config.anthropicApiKey ? config.anthropicModel : "offline" }, "platform ready");

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping");
  try {
    await platform.close();
    process.exit(0);
  } catch (err) {
    logger.error({ err }, "stop failed");
    process.exit(1);
  }
};
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));
