import { connect } from "@nats-io/transport-node";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import type { Config } from "../../shared/config.js";
import { epochNow, runOpenLoop } from "../lib/open-loop.js";
import { eventData, type Workload } from "./workload.js";

/** One phase of the feed as published. */
export interface PublishedPhase {
  /** Events whose publish was called. */
  published: number;
  /** Publishes the stream refused (the event is not stored: nobody can receive it). */
  failed: number;
  /** Deliveries the stored events owe: Σ sockets each one reaches. */
  expected: number;
  /** Epoch ms of the last publish call. */
  lastSentAt: number;
}

export interface Publisher {
  /** One event on every market topic of the round, so that every channel has a snapshot. */
  seed(): Promise<void>;
  publish(params: {
    phase: string;
    ratePerS: number;
    durationMs: number;
    sockets: number;
  }): Promise<PublishedPhase>;
  close(): Promise<void>;
}

/**
 * The feed of the benchmark: events on the server's LIVE stream through `createNatsLiveStream`
 * (the market-feed's path), open-loop at a fixed rate, each carrying its publish time.
 */
export async function createPublisher(
  config: Pick<Config, "natsUrl" | "liveMaxAgeMs" | "liveMaxMsgsPerTopic">,
  prefixes: { streamPrefix: string; subjectPrefix: string },
  workload: Workload,
): Promise<Publisher> {
  const nc = await connect({ servers: config.natsUrl, name: "fanout-publisher" });
  const live = await createNatsLiveStream(nc, {
    ...prefixes,
    maxAgeMs: config.liveMaxAgeMs,
    maxMsgsPerTopic: config.liveMaxMsgsPerTopic,
  });
  return {
    async seed() {
      await Promise.all(
        workload
          .marketTopics()
          .map((topic, i) => live.publish(topic, eventData(topic, i, "seed", epochNow()))),
      );
    },
    async publish({ phase, ratePerS, durationMs, sockets }) {
      let failed = 0;
      let expected = 0;
      let lastSentAt = 0;
      const acks: Promise<unknown>[] = [];
      const published = await runOpenLoop({
        ratePerS,
        durationMs,
        startAt: epochNow() + 100,
        fire(i) {
          const topic = workload.topicOf(i);
          lastSentAt = epochNow();
          acks.push(
            live.publish(topic, eventData(topic, i, phase, lastSentAt)).then(
              () => {
                expected += workload.reach(i, sockets);
              },
              () => {
                failed += 1;
              },
            ),
          );
        },
      });
      await Promise.all(acks);
      return { published, failed, expected, lastSentAt };
    },
    async close() {
      await live.close();
      await nc.close();
    },
  };
}
