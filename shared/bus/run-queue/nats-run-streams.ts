import { createHash } from "node:crypto";
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
import { agentNames } from "../../protocol/agents.js";
import { freeQueueMax } from "./admission.js";
import type { AgentRunRequest, RunQueueOptions } from "./run-queue.js";

type Tier = AgentRunRequest["tier"];

/** Every JetStream and subject name of the agent-run queue of one deployment. */
export interface RunNames {
  /** The work-queue stream of a tier's runs: `AGENT_REQ` (pro) and `AGENT_REQ_FREE`. */
  reqStream(tier: Tier): string;
  outStream: string;
  runsBucket: string;
  /** Every stream the queue creates, the KV bucket's included (for tests that clean up). */
  streams: readonly string[];
  reqSubject(agent: string, tier: Tier): string;
  /** The subjects of a tier's stream. */
  reqTierWildcard(tier: Tier): string;
  /** The requests of both tiers (workers listen here for new runs). */
  reqWildcard: string;
  /** Queue group in which one worker hears of each new run (the stream holds the run itself). */
  wakeGroup: string;
  /** A new run handed on by a worker with no free slot, `hops` times so far. */
  wakeSubject(agent: string, tier: Tier, hops: number): string;
  wakeWildcard: string;
  outSubject(requestId: string): string;
  outWildcard: string;
  cancelSubject(requestId: string): string;
  cancelWildcard: string;
  /** The client's answers to a run's `agent.confirm` (core NATS: every worker listens). */
  answerSubject(requestId: string): string;
  answerWildcard: string;
  consumerName(agent: string, tier: Tier): string;
  /** The server's advisory when a message of a tier's stream used up `max_deliver`. */
  maxDeliveriesAdvisory(tier: Tier): string;
  /** Queue group in which exactly one worker handles each max-deliveries advisory. */
  exhaustedGroup: string;
}

export function runNames(streamPrefix: string, subjectPrefix: string): RunNames {
  // The pro stream keeps the name the queue had before free runs got a stream of their own.
  const reqStream = (tier: Tier) => `${streamPrefix}AGENT_REQ${tier === "pro" ? "" : "_FREE"}`;
  const outStream = `${streamPrefix}AGENT_OUT`;
  const runsBucket = `${streamPrefix}AGENT_RUNS`;
  return {
    reqStream,
    outStream,
    runsBucket,
    streams: [...tiers.map(reqStream), outStream, `KV_${runsBucket}`],
    reqSubject: (agent, tier) => `${subjectPrefix}agent.req.${agent}.${tier}`,
    reqTierWildcard: (tier) => `${subjectPrefix}agent.req.*.${tier}`,
    reqWildcard: `${subjectPrefix}agent.req.>`,
    wakeGroup: `${streamPrefix}agent-wake`,
    wakeSubject: (agent, tier, hops) => `${subjectPrefix}agent.wake.${hops}.${agent}.${tier}`,
    wakeWildcard: `${subjectPrefix}agent.wake.>`,
    outSubject: (requestId) => `${subjectPrefix}agent.out.${requestId}`,
    outWildcard: `${subjectPrefix}agent.out.>`,
    cancelSubject: (requestId) => `${subjectPrefix}agent.cancel.${requestId}`,
    cancelWildcard: `${subjectPrefix}agent.cancel.*`,
    answerSubject: (requestId) => `${subjectPrefix}agent.answer.${requestId}`,
    answerWildcard: `${subjectPrefix}agent.answer.*`,
    consumerName: (agent, tier) => `${streamPrefix}w-${agent}-${tier}`,
    maxDeliveriesAdvisory: (tier) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${reqStream(tier)}.*`,
    exhaustedGroup: `${streamPrefix}agent-exhausted`,
  };
}

/**
 * How many copies JetStream keeps of a stream or KV bucket (NATS_REPLICAS): 1 on a single
 * nats-server (the default), 3 on a 3-node cluster, which then survives the loss of any one node
 * (docs/architecture.md, "JetStream replicas"). An update changes the copies of an existing stream.
 */
export interface StreamReplicas {
  replicas?: number;
}

export const tiers = ["pro", "free"] as const satisfies readonly Tier[];

/**
 * Creates or updates the three streams and the 22 worker consumers (one per agent and tier:
 * nats-server 2.9 allows one `filter_subject` per consumer). Safe to run from many processes at
 * once: an add that loses the race, or meets an older configuration, becomes an update.
 *
 * Each tier has its own work-queue stream with `discard: new`, so the server itself refuses a run
 * beyond its tier's bound, whichever gateway sends it: pro runs up to `queueMax`, free runs up to
 * `freeQueueMax(queueMax)`. Free runs can therefore never take the places of pro runs.
 */
export async function ensureRunStreams(
  jsm: JetStreamManager,
  names: RunNames,
  options: RunQueueOptions & StreamReplicas,
): Promise<void> {
  // Consumers leave `num_replicas` unset: they keep as many copies as their stream.
  const num_replicas = options.replicas ?? 1;
  const reqStream = (tier: Tier, maxMsgs: number) =>
    upsertStream(jsm, {
      name: names.reqStream(tier),
      subjects: [names.reqTierWildcard(tier)],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: maxMsgs,
      duplicate_window: nanos(options.dedupeWindowMs),
      num_replicas,
    });
  // First: an `AGENT_REQ` of the single-stream layout held the free subjects too, and only its
  // update gives them up for the free stream.
  await reqStream("pro", options.queueMax);
  await Promise.all([
    reqStream("free", freeQueueMax(options.queueMax)),
    upsertStream(jsm, {
      name: names.outStream,
      subjects: [names.outWildcard],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(options.outMaxAgeMs),
      allow_direct: true,
      num_replicas,
    }),
  ]);
  await Promise.all(
    agentNames.flatMap((agent) =>
      tiers.map((tier) =>
        upsertConsumer(jsm, names.reqStream(tier), {
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

/**
 * A run's client id as JetStream's msgID and as its key in the runs bucket: one run per user and
 * client id within the duplicate window, whichever gateway sends it.
 */
export function clientRunKey(request: Pick<AgentRunRequest, "userId" | "clientId">): string {
  return createHash("sha256").update(request.userId).update("\u0000").update(request.clientId).digest("hex");
}

/**
 * Whether a client can send this run again under the same client id, so that the runs bucket must
 * keep its id. An HTTP run's client id is its own freshly minted request id (docs/protocol.md
 * "HTTP"): no one can repeat it, and recording it would cost two stored messages a run for nothing.
 */
export function isRepeatable(request: Pick<AgentRunRequest, "requestId" | "clientId">): boolean {
  return request.clientId !== request.requestId;
}
