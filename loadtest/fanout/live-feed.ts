import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { LiveEvent } from "../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { type Config, loadConfig } from "../../shared/config.js";

/**
 * What a baseline server of the fan-out benchmark shares with the gateway: the LIVE stream of
 * the environment's STREAM_PREFIX/SUBJECT_PREFIX, followed as the gateway's hub follows it (one
 * `match.*` and one `market.*` subscription for the process), so every server receives the same
 * events through the same adapter and only the fan-out to sockets differs.
 */
export async function followLive(
  name: string,
  onEvent: (event: LiveEvent) => void,
): Promise<{ config: Config; close(): Promise<void> }> {
  const config = loadConfig();
  const nc = await connectNats(config, name);
  const live = await createNatsLiveStream(nc, {
    streamPrefix: config.streamPrefix,
    subjectPrefix: config.subjectPrefix,
    maxAgeMs: config.liveMaxAgeMs,
    maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
  });
  const subscriptions = [live.subscribe("match.*", onEvent), live.subscribe("market.*", onEvent)];
  await Promise.all(subscriptions.map((s) => s.ready));
  return {
    config,
    async close() {
      for (const s of subscriptions) s.close();
      await live.close();
      await nc.drain();
    },
  };
}

/**
 * The HTTP side of a baseline server: `GET /mem` answers `process.memoryUsage()` (the benchmark
 * reads each server's V8 heap there), anything else 404. Socket libraries attach to the server.
 */
export function memoryServer(): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url === "/mem") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(process.memoryUsage()));
      return;
    }
    response.writeHead(404).end();
  });
}

/** Listens on HOST/PORT, then tells the parent (which waits for this line on stdout). */
export async function listen(server: Server, config: Config): Promise<void> {
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  console.log(`ready ${config.port}`);
}

/** Stops on SIGTERM/SIGINT: sockets go with the process. */
export function stopOnSignal(stop: () => Promise<void>): void {
  const exit = () => void stop().finally(() => process.exit(0));
  process.once("SIGTERM", exit);
  process.once("SIGINT", exit);
}
