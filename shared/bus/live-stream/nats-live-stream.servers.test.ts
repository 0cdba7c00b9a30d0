import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../nats/nats-connection.js";
import { liveStreamContract } from "./live-stream.contract.js";
import type { LiveStream } from "./live-stream.js";
import { createNatsLiveStream } from "./nats-live-stream.js";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

liveStreamContract("nats", async (limits) => {
  const suffix = randomBytes(4).toString("hex");
  const options = { streamPrefix: `T${suffix}_`, subjectPrefix: `t${suffix}.`, ...limits };
  const opened: { nc: NatsConnection; stream: LiveStream }[] = [];
  return {
    async open() {
      const nc = await connectNats({ natsUrl }, "live-test");
      const stream = await createNatsLiveStream(nc, options);
      opened.push({ nc, stream });
      return stream;
    },
    async dispose() {
      await Promise.all(opened.map((o) => o.stream.close()));
      const jsm = await jetstreamManager(opened[0]!.nc);
      await jsm.streams.delete(`${options.streamPrefix}LIVE`);
      await Promise.all(opened.map((o) => o.nc.close()));
    },
  };
});
