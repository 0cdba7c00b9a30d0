import type { JetStreamManager } from "@nats-io/jetstream";
import { agentNames } from "../../protocol/agents.js";
import { type RunNames, tiers } from "./nats-run-streams.js";
import type { LaneLength, RunQueueStats, StreamUsage } from "./run-queue-stats.js";

/**
 * How long one reading of the server's counts serves. A reading lists the consumers of both
 * request streams and every stream (3 JetStream API calls), which the server answers on the one
 * API queue agent runs' pulls also wait on (see nats-run-depth.ts): read when scraped, at most
 * this often however many scrapers ask, never per run.
 */
const defaultMaxAgeMs = 5_000;

/**
 * The agent-run queue's figures from JetStream itself: a lane's waiting runs are its durable
 * consumer's `num_pending` (stored, not yet delivered to any worker — runs held by a worker until
 * their ack are not waiting), and the streams are those whose names start with `streamPrefix`
 * (the deployment's, KV buckets' included). Every worker reads the same consumers, so every
 * worker reports the same lengths (docs/architecture.md, "Metrics"). A failed reading rejects.
 */
export function createNatsRunStats(
  jsm: JetStreamManager,
  names: RunNames,
  options: { streamPrefix: string; maxAgeMs?: number },
): RunQueueStats {
  const maxAgeMs = options.maxAgeMs ?? defaultMaxAgeMs;
  let last: { at: number; reading: Promise<Reading> } | undefined;

  const lanesByConsumer = new Map(
    agentNames.flatMap((agent) =>
      tiers.map((tier) => [names.consumerName(agent, tier), { agent, tier }] as const),
    ),
  );

  async function read(): Promise<Reading> {
    const [pending, streams] = await Promise.all([
      Promise.all(
        tiers.map(async (tier) => {
          const found: LaneLength[] = [];
          for await (const consumer of jsm.consumers.list(names.reqStream(tier))) {
            const lane = lanesByConsumer.get(consumer.name);
            if (lane !== undefined && lane.tier === tier)
              found.push({ ...lane, waiting: consumer.num_pending });
          }
          return found;
        }),
      ),
      (async () => {
        const found: StreamUsage[] = [];
        const ours = (name: string) =>
          name.startsWith(options.streamPrefix) || name.startsWith(`KV_${options.streamPrefix}`);
        for await (const info of jsm.streams.list()) {
          if (!ours(info.config.name)) continue;
          const maxBytes = info.config.max_bytes;
          found.push({
            stream: info.config.name,
            bytes: info.state.bytes,
            ...(maxBytes !== undefined && maxBytes > 0 ? { maxBytes } : {}),
          });
        }
        return found;
      })(),
    ]);
    return { lanes: pending.flat(), streams };
  }

  function reading(): Promise<Reading> {
    const now = Date.now();
    if (last === undefined || now - last.at >= maxAgeMs) {
      const next = read();
      // A failed reading is not kept: the next scrape asks again.
      next.catch(() => {
        if (last?.reading === next) last = undefined;
      });
      last = { at: now, reading: next };
    }
    return last.reading;
  }

  return {
    lanes: async () => (await reading()).lanes,
    streams: async () => (await reading()).streams,
  };
}

interface Reading {
  lanes: LaneLength[];
  streams: StreamUsage[];
}
