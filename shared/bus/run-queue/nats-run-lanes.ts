import type { JetStreamManager } from "@nats-io/jetstream";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { agentNames } from "../../protocol/agents.js";
import { type ConsumerPuller, createConsumerPuller } from "./nats-run-pull.js";
import { settle } from "./nats-run-redelivery.js";
import { type RunNames, tiers } from "./nats-run-streams.js";
import type { PrioritySlots } from "./priority-slots.js";
import type { AgentRunRequest, RunQueueOptions } from "./run-queue.js";

/**
 * How long one pull waits for its batch to fill. While it waits, new runs go straight to it; its
 * unfilled slots are idle meanwhile, so it is short.
 */
const pullExpiresMs = 100;
/** Times a new run's notice is handed on by workers with no free slot before one keeps it. */
const maxWakeHops = 5;
/** Pause before pulling again after a failed pull (the consumer is being rebuilt). */
const pullRetryMs = 1000;

/** One (agent, tier) of a worker: the durable consumer it pulls from and what it knows of its runs. */
export interface Lane {
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

export interface RunLanesDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: RunNames;
  options: RunQueueOptions;
  slots: PrioritySlots;
  /** Most runs one pull asks for. */
  maxBatch: number;
  /** Re-creates missing streams and consumers (someone deleted them, or the server lost them). */
  repair(): Promise<void>;
}

export interface RunLanes {
  /** Tells a lane `runs` more may wait (a run handed back, a delayed retry due). */
  wake(lane: Lane, runs?: number): void;
  /** Stops pulling: lanes finish their pull in progress, then their pullers close. */
  stop(): Promise<void>;
}

/**
 * A worker's share of the 22 durable consumers (11 on each tier's stream). Each (agent, tier) is a
 * lane that pulls only for slots it holds, so the worker never takes more runs than its slots: it
 * waits for one slot (pro lanes are served first), adds free ones up to its backlog (at most
 * `maxBatch`), and asks for that many runs in one pull; slots the pull leaves unfilled go back. A
 * lane sleeps while its subject is empty and wakes on the core copy of a new request (which one
 * worker of the group gets), or when a periodic count of its stream's runs finds some due for
 * redelivery. Each run pulled goes to `run` holding one slot, which the run releases.
 */
export function startRunLanes(deps: RunLanesDeps, run: (lane: Lane, msg: Msg) => void): RunLanes {
  const { nc, jsm, names, options, slots, maxBatch } = deps;
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
            } else settle(nc, msg, "-NAK");
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
  let stopping = false;

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
  ];

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

  return {
    wake,
    async stop() {
      stopping = true;
      clearInterval(probe);
      for (const sub of subs) sub.unsubscribe();
      for (const lane of lanes.values()) lane.wake?.();
      // Lanes waiting for a slot get one as runs finish; release spares so none waits forever.
      for (let i = 0; i < lanes.size; i++) slots.release();
      await Promise.all(loops);
      for (const lane of lanes.values()) lane.puller.close();
    },
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
