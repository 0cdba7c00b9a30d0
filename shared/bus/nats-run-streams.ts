import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { agentNames } from "../protocol/agents.js";
import type { AgentRunRequest, RunQueueOptions } from "./run-queue.js";

/** Every JetStream and subject name of the agent-run queue of one deployment. */
export interface RunNames {
  reqStream: string;
  outStream: string;
  runsBucket: string;
  reqSubject(agent: string, tier: AgentRunRequest["tier"]): string;
  reqWildcard: string;
  outSubject(requestId: string): string;
  outWildcard: string;
  cancelSubject(requestId: string): string;
  cancelWildcard: string;
  consumerName(agent: string, tier: AgentRunRequest["tier"]): string;
  /** The server's advisory when a message of `reqStream` used up `max_deliver`. */
  maxDeliveriesAdvisory: string;
  /** Queue group in which exactly one worker handles each max-deliveries advisory. */
  exhaustedGroup: string;
}

export function runNames(streamPrefix: string, subjectPrefix: string): RunNames {
  const reqStream = `${streamPrefix}AGENT_REQ`;
  return {
    reqStream,
    outStream: `${streamPrefix}AGENT_OUT`,
    runsBucket: `${streamPrefix}AGENT_RUNS`,
    reqSubject: (agent, tier) => `${subjectPrefix}agent.req.${agent}.${tier}`,
    reqWildcard: `${subjectPrefix}agent.req.>`,
    outSubject: (requestId) => `${subjectPrefix}agent.out.${requestId}`,
    outWildcard: `${subjectPrefix}agent.out.>`,
    cancelSubject: (requestId) => `${subjectPrefix}agent.cancel.${requestId}`,
    cancelWildcard: `${subjectPrefix}agent.cancel.*`,
    consumerName: (agent, tier) => `${streamPrefix}w-${agent}-${tier}`,
    maxDeliveriesAdvisory: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${reqStream}.*`,
    exhaustedGroup: `${streamPrefix}agent-exhausted`,
  };
}

export const tiers = ["pro", "free"] as const satisfies readonly AgentRunRequest["tier"][];

/**
 * Creates or updates both streams and the 22 worker consumers (one per agent and tier: nats-server
 * 2.9 allows one `filter_subject` per consumer). Safe to run from many processes at once: an add
 * that loses the race, or meets an older configuration, becomes an update.
 */
export async function ensureRunStreams(
  jsm: JetStreamManager,
  names: RunNames,
  options: RunQueueOptions,
): Promise<void> {
  await Promise.all([
    upsertStream(jsm, {
      name: names.reqStream,
      subjects: [names.reqWildcard],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: options.queueMax,
      duplicate_window: nanos(options.dedupeWindowMs),
    }),
    upsertStream(jsm, {
      name: names.outStream,
      subjects: [names.outWildcard],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(options.outMaxAgeMs),
      allow_direct: true,
    }),
  ]);
  await Promise.all(
    agentNames.flatMap((agent) =>
      tiers.map((tier) =>
        upsertConsumer(jsm, names.reqStream, {
          durable_name: names.consumerName(agent, tier),
          filter_subject: names.reqSubject(agent, tier),
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(options.ackWaitMs),
          max_deliver: options.maxDeliver,
          // Bounds what one worker's pulls may hold; pulls here are for one message at a time.
          max_waiting: 512,
        }),
      ),
    ),
  );
}

type StreamConfig = Parameters<JetStreamManager["streams"]["add"]>[0];
type ConsumerConfig = Parameters<JetStreamManager["consumers"]["add"]>[1];

async function upsertStream(jsm: JetStreamManager, config: StreamConfig & { name: string }) {
  try {
    await jsm.streams.add(config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    await jsm.streams.update(config.name, config);
  }
}

async function upsertConsumer(jsm: JetStreamManager, stream: string, config: ConsumerConfig) {
  try {
    await jsm.consumers.add(stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    await jsm.consumers.update(stream, config.durable_name!, config);
  }
}
