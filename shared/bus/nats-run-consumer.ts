import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { AppError } from "../errors.js";
import { agentNames } from "../protocol/agents.js";
import type { createRunOutput } from "./nats-run-output.js";
import { type RunNames, tiers } from "./nats-run-streams.js";
import { createPrioritySlots } from "./priority-slots.js";
import type { AgentRunRequest, RunConsumer, RunHandler, RunJob, RunQueueOptions } from "./run-queue.js";
import { deliveriesExhausted } from "./run-queue-defaults.js";

/** How long one pull waits for a message (the client's minimum). */
const pullExpiresMs = 1000;
/** `working()` reaches the server at most this often, however often a run calls it. */
const workingEveryMs = 1000;

export interface RunConsumerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: RunNames;
  options: RunQueueOptions;
  output: ReturnType<typeof createRunOutput>;
  /** Re-creates missing streams and consumers (someone deleted them, or the server lost them). */
  repair(): Promise<void>;
}

/**
 * A worker's share of the 22 durable consumers. Each (agent, tier) is a lane that pulls one
 * message at a time and only while holding a free slot, so the worker never takes more runs than
 * `concurrency`; slots go to pro lanes first. A lane sleeps while its subject is empty and wakes
 * on the core copy of each new request, or when a periodic check of its consumer finds runs due
 * for redelivery.
 */
export function startRunConsumer(
  deps: RunConsumerDeps,
  handler: RunHandler,
  concurrency: number,
): RunConsumer & { abort(): void } {
  const { nc, js, jsm, names, options, output } = deps;
  const slots = createPrioritySlots(concurrency);
  const lanes = new Map<string, Lane>();
  for (const agent of agentNames) {
    for (const tier of tiers) {
      lanes.set(names.reqSubject(agent, tier), {
        name: names.consumerName(agent, tier),
        tier,
        backlog: 0,
        signals: 0,
        held: 0,
      });
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

  const subs: Subscription[] = [
    nc.subscribe(names.reqWildcard, {
      callback: (err, msg) => {
        const lane = err === null ? lanes.get(msg.subject) : undefined;
        if (lane !== undefined) wake(lane);
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
    nc.subscribe(names.maxDeliveriesAdvisory, {
      queue: names.exhaustedGroup,
      callback: (err, msg) => {
        if (err === null) void failExhausted(msg.json<{ stream_seq: number }>().stream_seq);
      },
    }),
  ];

  // A work-queue stream keeps a message that used up `max_deliver`: the worker that gets the
  // advisory ends the run for its watchers and removes it so it stops counting against queueMax.
  async function failExhausted(streamSeq: number) {
    try {
      const stored = await jsm.streams.getMessage(names.reqStream, { seq: streamSeq });
      if (stored === null) return;
      const { requestId } = stored.json<AgentRunRequest>();
      await output.publishOnce(requestId, deliveriesExhausted(options.maxDeliver), `exhausted-${requestId}`);
      await jsm.streams.deleteMessage(names.reqStream, streamSeq, false);
    } catch {
      // The message stays; the next advisory for it (another pull) tries again.
    }
  }

  const probeEveryMs = Math.min(options.ackWaitMs, 5000);
  const probe = setInterval(() => void probeLanes(), probeEveryMs);
  probe.unref();
  // Runs queued before this worker started wake their lanes here.
  void probeLanes();
  async function probeLanes() {
    await Promise.all(
      [...lanes.values()]
        .filter((lane) => lane.backlog <= 0)
        .map(async (lane) => {
          const info = await jsm.consumers.info(names.reqStream, lane.name).catch(() => null);
          // Unacked runs held elsewhere count too: they may be due for redelivery.
          const waiting = info === null ? 0 : info.num_pending + info.num_ack_pending - lane.held;
          if (waiting > 0) wake(lane, waiting);
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
      const signals = lane.signals;
      let msg: JsMsg | null;
      try {
        lane.consumer ??= await js.consumers.get(names.reqStream, lane.name);
        msg = await lane.consumer.next({ expires: pullExpiresMs });
      } catch {
        // A deleted consumer or missed heartbeats: rebuild, then pull again.
        slots.release();
        lane.consumer = undefined;
        await Promise.all([deps.repair().catch(() => undefined), pause(pullExpiresMs)]);
        continue;
      }
      if (msg === null) {
        slots.release();
        if (lane.signals === signals) lane.backlog = 0;
        continue;
      }
      lane.backlog = Math.max(0, lane.backlog - 1);
      run(lane, msg);
    }
  }

  function run(lane: Lane, msg: JsMsg) {
    let request: AgentRunRequest;
    try {
      request = msg.json<AgentRunRequest>();
      if (request.v !== 1) throw new AppError("bad_request", `unknown run payload version ${request.v}`);
    } catch {
      msg.term();
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
    const attempt = msg.info.deliveryCount;
    const job: RunJob = {
      request,
      attempt,
      signal: controller.signal,
      emit: output.writer(requestId, attempt > 1),
      working() {
        const now = Date.now();
        if (settled || now - lastWorking < workingEveryMs) return;
        lastWorking = now;
        msg.working();
      },
      async ack() {
        settled = true;
        await msg.ackAck().catch((err: unknown) => {
          throw new AppError("unavailable", "cannot ack the run", { cause: err });
        });
      },
      async nak(delayMs) {
        settled = true;
        msg.nak(delayMs);
        setTimeout(() => wake(lane), delayMs ?? 0).unref();
      },
      async term() {
        settled = true;
        msg.term();
      },
    };

    Promise.resolve()
      .then(() => handler(job))
      .catch(() => {
        if (settled) return;
        settled = true;
        msg.nak();
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
        if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
      })();
      return stopped;
    },
  };
}

interface Lane {
  name: string;
  tier: AgentRunRequest["tier"];
  consumer?: Consumer;
  /** Runs believed waiting (new requests seen, minus runs taken); 0 puts the lane to sleep. */
  backlog: number;
  /** Count of wake-ups, to tell whether one arrived during a pull. */
  signals: number;
  /** Runs of this lane this worker is running now. */
  held: number;
  wake?: () => void;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
