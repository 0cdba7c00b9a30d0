import type { Config } from "../../config.js";
import type { NatsLiveStreamOptions } from "./nats-live-stream.js";

/** The LIVE stream as every service's `main.ts` opens it, from the one config schema. */
export function liveStreamOptions(
  config: Pick<
    Config,
    "streamPrefix" | "subjectPrefix" | "natsReplicas" | "liveMaxAgeMs" | "liveMaxMsgsPerTopic"
  >,
): NatsLiveStreamOptions {
  return {
    streamPrefix: config.streamPrefix,
    subjectPrefix: config.subjectPrefix,
    replicas: config.natsReplicas,
    maxAgeMs: config.liveMaxAgeMs,
    maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
  };
}
