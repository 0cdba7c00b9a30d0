import type { JetStreamManager } from "@nats-io/jetstream";
import { type Msg, type NatsConnection, nanos, type Subscription } from "@nats-io/transport-node";
import { AppError } from "../errors.js";
import { isTerminal } from "../protocol/agent-frames.js";
import { agentNames } from "../protocol/agents.js";
import { messaging } from "../telemetry/attributes.js";
import { contextFrom, SpanKind, traced, tracingOn } from "../telemetry/spans.js";
import type { createRunOutput } from "./nats-run-output.js";
import { type ConsumerPuller, createConsumerPuller } from "./nats-run-pull.js";
import { clientRunKey, type RunNames, tiers } from "./nats-run-streams.js";
import { createPrioritySlots } from "./priority-slots.js";
import type { AgentRunRequest, RunConsumer, RunHandler, RunJob, RunQueueOptions } from "./run-queue.js";
import { deliveriesExhausted } from "./run-queue-defaults.js";

/**
 * How long one pull waits for its batch to fill. While it waits, new runs go straight to it; its
 * unfilled slots are idle meanwhile, so it is short.
 */
const pullExpiresMs = 100;
/** Times a new run's notice is handed on by workers with no free slot before one keeps it. */
const maxWakeHops = 5;
/** Pause before pulling again after a failed pull (the consumer is being rebuilt). */
const pullRetryMs = 1000;
/**
 * `working()` reaches the server at most this often, however often a run calls it (less when
 * `ackWaitMs` is short: a busy event loop must not let a live run's deadline pass).
 */
const maxWorkingEveryMs = 1000;

export interface RunConsumerDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: RunNames;
  options: RunQueueOptions;
  output: ReturnType<typeof createRunOutput>;
  /** Re-creates missing streams and consumers (someone deleted them, or the server lost them). */
  repair(): Promise<void>;
}

/**
 * A worker's share of the 22 durable consumers (11 on each tier's stream). Each (agent, tier) is a lane that pulls only for
 * slots it holds, so the worker never takes more runs than `concurrency`: it waits for one slot
 * (pro lanes are served first), adds free ones up to its backlog (at most `maxBatch`), and asks
 * for that many runs in one pull; slots the pull leaves unfilled go back. A lane sleeps while its
 * subject is empty and wakes on the core copy of a new request (which one worker of the group
 * gets), or when a periodic count of its stream's runs finds some due for redelivery.
 */
export function startRunConsumer(
  deps: RunConsumerDeps,
  handler: RunHandler,
  concurrency: number,
): RunConsumer & { abort(): void } {
  const { nc, jsm, names, options, output } = deps;
  const slots = createPrioritySlots(concurrency);
  // Enough for a lane to keep up alone, small enough that a few busy lanes leave slots to others.
  const maxBatch = Math.max(1, Math.ceil(concurrency / 8));
  const workingEveryMs = Math.min(maxWorkingEveryMs, Math.floor(options.ackWaitMs / 4));
  const lanes = new Map<string, Lane>();
  for (const agent of agentNames) {
    for (const tier of tiers) {
      const lane: Lane = {
        agent,
        tier,
        puller: createConsumerPuller(
          nc,
          names.reqStream(tier),
          names.consumerName(agent, tier),
          (msg, requested) => {
            if (requested && lane.reserved > 0) {
              lane.reserved -= 1;
              run(lane, msg);
            } else if (slots.take(1) === 1) {
              // Sent for a request given up on: run it if a slot is free, since a hand-back costs
              // the run one of its `maxDeliver` attempts.
              run(lane, msg);
            } else settle(msg, "-NAK");
          },
        ),
        reserved: 0,
        backlog: 0,
        signals: 0,
        held: 0,
      };
      lanes.set(names.reqSubject(agent, tier), lane);
    }
  }
  const cancelled = new Map<string, number>();
  const holders = new Map<string, Set<AbortController>>();
  let active = 0;
  let stopping = false;
  let drained: (() => void) | undefined;

  const wake = (lane: Lane, runs = 1) => {
    lane.signals += 1;
    lane.backlog = Math.max(runs, lane.backlog + runs);
    lane.wake?.();
  };

  /**
   * One worker of the group hears of each new run and pulls it. One with no free slot (and no pull
   * of that lane waiting, which would get it) hands the news on to another, a few times at most:
   * then it keeps it and pulls once a slot frees. So each run costs one notice and one pull
   * however many workers there are.
   */
  const heard = (lane: Lane, hops: number) => {
    if (slots.free === 0 && lane.reserved === 0 && hops < maxWakeHops) {
      try {
        nc.publish(names.wakeSubject(lane.agent, lane.tier, hops + 1));
        return;
      } catch {
        // The connection is closing: keep it.
      }
    }
    wake(lane);
  };
  // `<prefix>agent.wake.` then `<hops>.<agent>.<tier>`.
  const wakePrefix = names.wakeWildcard.slice(0, -1);

  const subs: Subscription[] = [
    nc.subscribe(names.reqWildcard, {
      queue: names.wakeGroup,
      callback: (err, msg) => {
        const lane = err === null ? lanes.get(msg.subject) : undefined;
        if (lane !== undefined) heard(lane, 0);
      },
    }),
    nc.subscribe(names.wakeWildcard, {
      queue: names.wakeGroup,
      callback: (err, msg) => {
        if (err !== null) return;
        const [hops, agent, tier] = msg.subject.slice(wakePrefix.length).split(".");
        const lane = lanes.get(names.reqSubject(agent!, tier as Lane["tier"]));
        if (lane !== undefined) heard(lane, Number(hops));
      },
    }),
    nc.subscribe(names.cancelWildcard, {
      callback: (err, msg) => {
        if (err !== null) return;
        const requestId = msg.subject.slice(names.cancelSubject("").length);
        cancelled.set(requestId, Date.now() + options.dedupeWindowMs);
        for (const controller of holders.get(requestId) ?? []) controller.abort();
      },
    }),
    ...tiers.map((tier) =>
      nc.subscribe(names.maxDeliveriesAdvisory(tier), {
        queue: names.exhaustedGroup,
        callback: (err, msg) => {
          if (err === null)
            void failExhausted(names.reqStream(tier), msg.json<{ stream_seq: number }>().stream_seq);
        },
      }),
    ),
  ];

  // A work-queue stream keeps a message that used up `max_deliver`: the worker that gets the
  // advisory ends the run for its watchers and removes it so it stops counting against queueMax.
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

  const probeEveryMs = Math.min(options.ackWaitMs, 5000);
  const probe = setInterval(() => void probeLanes(), probeEveryMs);
  probe.unref();
  // Runs queued before this worker started wake their lanes here.
  void probeLanes();
  // One stream info per tier with its runs counted by subject (a work-queue stream keeps a run
  // until it is acked): 2 JetStream API calls, not one consumer info per lane (22). The server
  // answers them all on one queue, which agent runs' pulls then wait behind.
  async function probeLanes() {
    await Promise.all(
      tiers.map(async (tier) => {
        const info = await jsm.streams
          .info(names.reqStream(tier), { subjects_filter: names.reqTierWildcard(tier) })
          .catch(() => null);
        for (const [subject, runs] of Object.entries(info?.state.subjects ?? {})) {
          const lane = lanes.get(subject);
          if (lane === undefined || lane.backlog > 0) continue;
          // Unacked runs held elsewhere count too: they may be due for redelivery.
          const waiting = runs - lane.held;
          if (waiting > 0) wake(lane, waiting);
        }
      }),
    );
  }

  const loops = [...lanes.values()].map((lane) => runLane(lane));

  async function runLane(lane: Lane) {
    while (!stopping) {
      if (lane.backlog <= 0) {
        await new Promise<void>((resolve) => {
          lane.wake = resolve;
        });
        lane.wake = undefined;
        continue;
      }
      await slots.acquire(lane.tier);
      if (stopping) {
        slots.release();
        return;
      }
      const batch = 1 + slots.take(Math.min(lane.backlog, maxBatch) - 1);
      lane.reserved = batch;
      const signals = lane.signals;
      let got = 0;
      let failed = false;
      try {
        got = await lane.puller.pull(batch, pullExpiresMs);
      } catch {
        failed = true;
      }
      for (; lane.reserved > 0; lane.reserved -= 1) slots.release();
      if (failed) {
        // A deleted consumer or a lost request: rebuild, then pull again.
        await Promise.all([deps.repair().catch(() => undefined), pause(pullRetryMs)]);
        continue;
      }
      // A full batch: more may wait. A short one emptied the subject, unless requests were seen
      // during the pull that it did not bring (taken by another worker, or stored just after).
      lane.backlog = got === batch ? Math.max(1, lane.backlog - got) : lane.signals - signals > got ? 1 : 0;
    }
  }

  /** Answers a delivery on its ack subject (`+WPI`, `-NAK`, `+TERM`); a dropped answer is redelivered later. */
  function settle(msg: Msg, answer: string) {
    try {
      nc.publish(msg.reply!, answer);
    } catch {
      // The connection is closed: the server redelivers after `ackWaitMs`.
    }
  }

  function run(lane: Lane, msg: Msg) {
    let request: AgentRunRequest;
    try {
      request = msg.json<AgentRunRequest>();
      if (request.v !== 1) throw new AppError("bad_request", `unknown run payload version ${request.v}`);
    } catch {
      settle(msg, "+TERM");
      slots.release();
      return;
    }
    const { requestId } = request;
    const controller = new AbortController();
    const expiresAt = cancelled.get(requestId);
    if (expiresAt !== undefined && expiresAt > Date.now()) controller.abort();
    const held = holders.get(requestId) ?? new Set();
    held.add(controller);
    holders.set(requestId, held);
    active += 1;
    lane.held += 1;

    let settled = false;
    let lastWorking = Date.now();
    const attempt = deliveryCount(msg.reply!);
    /**
     * Settles the run for good, recording its id under its client id first: the ack takes it out
     * of its stream, and a repeat of the client id (a client whose gateway died before answering)
     * then finds it only by this record. The gateway writes it too, but a gateway killed right
     * after storing the run never sends it. Same connection, sent first: the server has the
     * record before the ack.
     */
    const settleForGood = (answer: string) => {
      settled = true;
      try {
        nc.publish(`$KV.${names.runsBucket}.${clientRunKey(request)}`, requestId);
      } catch {
        // The connection closed: the ack below is lost too, and the run comes back.
      }
      settle(msg, answer);
    };
    const job = (afterSeq: number): RunJob => ({
      request,
      attempt,
      signal: controller.signal,
      emit: output.writer(requestId, afterSeq),
      working() {
        const now = Date.now();
        if (settled || now - lastWorking < workingEveryMs) return;
        lastWorking = now;
        settle(msg, "+WPI");
      },
      // Not confirmed by the server (no ack of the ack): a lost one brings the run back, and
      // `execute` then finds its terminal chunk and acks it without running it.
      async ack() {
        settleForGood("+ACK");
      },
      async nak(delayMs) {
        settled = true;
        settle(msg, delayMs ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : "-NAK");
        setTimeout(() => wake(lane), delayMs ?? 0).unref();
      },
      async term() {
        settleForGood("+TERM");
      },
    });

    // A first delivery starts at seq 0 with no read. A run delivered again continues after its
    // last stored chunk, unless that chunk ended it: its worker stored the end, then failed or
    // lost the ack, and running it again would store chunks after the end.
    async function execute() {
      if (attempt === 1) return handler(job(0));
      const last = await output.lastChunk(requestId);
      if (last !== null && isTerminal(last)) {
        settleForGood("+ACK");
        return;
      }
      return handler(job(last?.seq ?? 0));
    }

    // The delivery's consumer span, child of the gateway's publish (its `traceparent` header).
    (tracingOn()
      ? traced(
          "process agent.run",
          {
            kind: SpanKind.CONSUMER,
            attributes: messaging("process", msg.subject),
            parent: contextFrom(msg.headers),
          },
          execute,
        )
      : execute()
    )
      .catch(() => {
        if (settled) return;
        settled = true;
        settle(msg, "-NAK");
        wake(lane);
      })
      .finally(() => {
        held.delete(controller);
        if (held.size === 0) holders.delete(requestId);
        lane.held -= 1;
        active -= 1;
        slots.release();
        if (active === 0) drained?.();
      });
  }

  let stopped: Promise<void> | undefined;
  return {
    get active() {
      return active;
    },
    /** Force-stop: every run in progress sees its signal abort. */
    abort() {
      for (const held of holders.values()) for (const controller of held) controller.abort();
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(probe);
        for (const sub of subs) sub.unsubscribe();
        for (const lane of lanes.values()) lane.wake?.();
        // Lanes waiting for a slot get one as runs finish; release spares so none waits forever.
        for (let i = 0; i < lanes.size; i++) slots.release();
        await Promise.all(loops);
        for (const lane of lanes.values()) lane.puller.close();
        if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
      })();
      return stopped;
    },
  };
}

interface Lane {
  agent: string;
  tier: AgentRunRequest["tier"];
  puller: ConsumerPuller;
  /** Slots held for the runs the lane's pull may still bring. */
  reserved: number;
  /** Runs believed waiting (new requests seen, minus runs taken); 0 puts the lane to sleep. */
  backlog: number;
  /** Count of wake-ups, to tell whether one arrived during a pull. */
  signals: number;
  /** Runs of this lane this worker is running now. */
  held: number;
  wake?: () => void;
}

/**
 * The delivery count from a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.…`
 * (9 tokens), or with a domain and account hash `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.…`.
 */
function deliveryCount(ackSubject: string): number {
  const tokens = ackSubject.split(".");
  return Number(tokens[tokens.length === 9 ? 4 : 6]);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
