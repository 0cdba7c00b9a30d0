import type { NatsConnection } from "@nats-io/transport-node";
import { createNatsReplies, type NatsReplies } from "./nats-replies.js";

export { type PubAck, type PublishExpectations, StreamPublishError } from "./nats-replies.js";

/**
 * JetStream publishes and acks of the run queue that need the server's reply (nats-replies.ts):
 * a call resolves with the reply or rejects with `unavailable` after 5 s, when the connection
 * drops, or when nothing serves the subject; messages of one connection reach the server in call
 * order.
 */
export type RunReplies = NatsReplies;

export function createRunReplies(nc: NatsConnection): RunReplies {
  return createNatsReplies(nc, { what: "agent bus", closedMessage: "run queue is closed" });
}
