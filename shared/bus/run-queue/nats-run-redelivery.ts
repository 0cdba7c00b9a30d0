import type { JetStreamManager } from "@nats-io/jetstream";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { isTerminal } from "../../protocol/agent-frames.js";
import type { createRunOutput } from "./nats-run-output.js";
import { type RunNames, tiers } from "./nats-run-streams.js";
import type { AgentRunRequest, RunQueueOptions } from "./run-queue.js";
import { deliveriesExhausted } from "./run-queue-defaults.js";

type RunOutput = ReturnType<typeof createRunOutput>;

/** Answers a delivery on its ack subject (`+WPI`, `-NAK`, `+TERM`); a dropped answer is redelivered later. */
export function settle(nc: NatsConnection, msg: Msg, answer: string): void {
  try {
    nc.publish(msg.reply!, answer);
  } catch {
    // The connection is closed: the server redelivers after `ackWaitMs`.
  }
}

/**
 * The delivery count from a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.…`
 * (9 tokens), or with a domain and account hash `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.…`.
 */
export function deliveryCount(ackSubject: string): number {
  const tokens = ackSubject.split(".");
  return Number(tokens[tokens.length === 9 ? 4 : 6]);
}

/**
 * Where a delivered run continues: a first delivery at seq 0 with no read; a run delivered again
 * after its last stored chunk, or `"ended"` when that chunk ended it (its worker stored the end,
 * then failed or lost the ack, and running it again would store chunks after the end).
 */
export async function resumeAfter(
  output: RunOutput,
  requestId: string,
  attempt: number,
): Promise<number | "ended"> {
  if (attempt === 1) return 0;
  const last = await output.lastChunk(requestId);
  if (last !== null && isTerminal(last)) return "ended";
  return last?.seq ?? 0;
}

export interface ExhaustedRunsDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: RunNames;
  options: RunQueueOptions;
  output: RunOutput;
}

/**
 * A work-queue stream keeps a message that used up `max_deliver`: the worker that gets the
 * advisory (one of the group) ends the run for its watchers and removes it so it stops counting
 * against queueMax.
 */
export function watchExhaustedRuns(deps: ExhaustedRunsDeps): Subscription[] {
  const { nc, jsm, names, options, output } = deps;
  async function failExhausted(stream: string, streamSeq: number) {
    try {
      const stored = await jsm.streams.getMessage(stream, { seq: streamSeq });
      if (stored === null) return;
      const { requestId } = stored.json<AgentRunRequest>();
      await output.publishOnce(requestId, deliveriesExhausted(options.maxDeliver), `exhausted-${requestId}`);
      await jsm.streams.deleteMessage(stream, streamSeq, false);
    } catch {
      // The message stays; the next advisory for it (another pull) tries again.
    }
  }
  return tiers.map((tier) =>
    nc.subscribe(names.maxDeliveriesAdvisory(tier), {
      queue: names.exhaustedGroup,
      callback: (err, msg) => {
        if (err === null)
          void failExhausted(names.reqStream(tier), msg.json<{ stream_seq: number }>().stream_seq);
      },
    }),
  );
}
