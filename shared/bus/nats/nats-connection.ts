import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import { batchNatsWrites } from "./nats-write-batching.js";

/**
 * Connects to NATS the way every service must: reconnecting forever (a NATS restart must never
 * kill a gateway or worker), with jittered waits so a fleet does not reconnect in lockstep. The
 * first connect fails with `unavailable` so a service refuses to start rather than run blind.
 * Its writes are batched per event-loop turn (nats-write-batching.ts).
 * Lifecycle events stay data: `nc.status()`, summarised by `trackNatsHealth`.
 */
export async function connectNats(config: { natsUrl: string }, name: string): Promise<NatsConnection> {
  const servers = config.natsUrl
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  batchNatsWrites();
  try {
    return await connect({
      servers,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 250,
      pingInterval: 10_000,
      maxPingOut: 3,
    });
  } catch (err) {
    throw new AppError("unavailable", `cannot connect to NATS at ${config.natsUrl}`, { cause: err });
  }
}

/** What a readiness probe or a metric needs to know about a connection. */
export interface NatsHealth {
  readonly connected: boolean;
  /** Reconnects since tracking began. */
  readonly reconnects: number;
  readonly closed: boolean;
}

/** Follows `nc.status()` into a `NatsHealth` that is always current; ends with the connection. */
export function trackNatsHealth(nc: NatsConnection): NatsHealth {
  const health = { connected: !nc.isClosed(), reconnects: 0, closed: nc.isClosed() };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" || status.type === "reconnecting") health.connected = false;
      else if (status.type === "reconnect") {
        health.connected = true;
        health.reconnects += 1;
      }
    }
  })();
  void nc.closed().then(() => {
    health.connected = false;
    health.closed = true;
  });
  return health;
}
