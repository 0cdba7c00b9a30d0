import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../shared/bus/nats/nats-connection.js";
import { leaderLeaseContract } from "./leader-lease.contract.js";
import { createNatsLeaderLease } from "./nats-leader-lease.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

leaderLeaseContract("nats", async (ttlMs) => {
  const bucket = `T${randomBytes(4).toString("hex")}_FEED_LEADER`;
  // Each holder on its own connection, as separate processes would be.
  const connections: NatsConnection[] = [];
  return {
    async holder() {
      const nc = await connectNats({ natsUrl }, "lease-test");
      connections.push(nc);
      return createNatsLeaderLease(nc, { bucket, ttlMs });
    },
    async dispose() {
      const nc = connections[0];
      if (nc) await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`);
      await Promise.all(connections.map((c) => c.close()));
    },
  };
});
