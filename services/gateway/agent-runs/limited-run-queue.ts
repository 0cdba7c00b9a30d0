import type { RunQueue, RunWatch, SubmitResult } from "../../../shared/bus/run-queue/run-queue.js";
import type { Config } from "../../../shared/config.js";
import { AppError } from "../../../shared/errors.js";
import type { Semaphore } from "../../../shared/limits/semaphore.js";
import type { Logger } from "../../../shared/logger.js";
import { isTerminal } from "../../../shared/protocol/agent-frames.js";

/** docs/protocol.md "Limits" for agent runs, per user and tier, across every gateway. */
export type RunLimits = Readonly<Record<"free" | "pro", { runsPerMinute: number; concurrent: number }>>;

export function runLimitsOf(
  config: Pick<
    Config,
    "agentRunsPerMinuteFree" | "agentRunsPerMinutePro" | "agentConcurrentFree" | "agentConcurrentPro"
  >,
): RunLimits {
  return Object.freeze({
    free: { runsPerMinute: config.agentRunsPerMinuteFree, concurrent: config.agentConcurrentFree },
    pro: { runsPerMinute: config.agentRunsPerMinutePro, concurrent: config.agentConcurrentPro },
  });
}

export interface LimitedRunQueueDeps {
  /** Holds both limits: its leases are the concurrency slots, and each takes a minute admission. */
  semaphore: Semaphore;
  limits: RunLimits;
  logger: Logger;
  /**
   * A slot's lease lives this long without renewal: how long the runs of a gateway that died keep
   * their users' slots. Renewed every third of it while this gateway holds the run.
   */
  leaseTtlMs?: number;
  /** Longest a slot is held for one run whose end never shows (its output is not kept longer). */
  maxHoldMs: number;
}

const defaultLeaseTtlMs = 30_000;
/** A concurrency refusal cannot know when a run ends: the client is told to look again soon. */
const concurrencyRetryAfterMs = 1000;
const minuteMs = 60_000;

/** A concurrency slot this gateway holds for one run, from its submit until its terminal chunk. */
interface Slot {
  key: string;
  leaseId: string;
  requestId: string;
  heldSince: number;
  /** A watch of this gateway's own that follows the run once no client relay does. */
  follower?: RunWatch;
}

/**
 * The agent-run port with the user's run limits in front of `submit` (docs/protocol.md "Limits"):
 * - at most `concurrent` runs of a user queued or running at once (a Semaphore lease per run),
 *   then at most `runsPerMinute` started per sliding minute (the lease's rate admission, one
 *   round trip for both on Redis); over either,
 *   `submit` rejects with `rate_limited` and `retryAfterMs`. A concurrency refusal spends nothing.
 * - A submit the queue answers as a duplicate (the same user and client id) gives its slot back
 *   at once: the original run holds one already. It has spent a minute admission, because the
 *   queue is the only place that knows a duplicate, and it answers after the limits.
 * - A slot is released when a watch through this queue yields the run's terminal chunk. When the
 *   last relay stops first (the client left, its stream failed), this gateway follows the run to
 *   its end itself, so leaving a run never frees its slot. Leases are renewed while held; the
 *   leases of a gateway that dies or closes lapse after `leaseTtlMs`.
 * Everything else is the wrapped queue's, whose `close` stays with its owner: `close` here stops
 * this wrapper's renewals and followers only.
 */
export function createLimitedRunQueue(queue: RunQueue, deps: LimitedRunQueueDeps): RunQueue {
  const { semaphore, limits, logger } = deps;
  const leaseTtlMs = deps.leaseTtlMs ?? defaultLeaseTtlMs;
  const slots = new Map<string, Slot>();
  let closed = false;

  const renewals = setInterval(() => void renewAll(), Math.max(1, Math.floor(leaseTtlMs / 3)));
  renewals.unref();

  async function renewAll() {
    const now = Date.now();
    await Promise.all(
      [...slots.values()].map(async (slot) => {
        if (now - slot.heldSince > deps.maxHoldMs) return finish(slot.requestId);
        try {
          // A lease that lapsed meanwhile may have been taken by another run: stop counting this one.
          if (!(await semaphore.renew(slot.key, slot.leaseId, leaseTtlMs))) forget(slot);
        } catch (err) {
          logger.warn({ err, requestId: slot.requestId }, "agent run slot renewal failed; retrying");
        }
      }),
    );
  }

  function forget(slot: Slot) {
    if (slots.get(slot.requestId) !== slot) return;
    slots.delete(slot.requestId);
    slot.follower?.close();
  }

  function finish(requestId: string) {
    const slot = slots.get(requestId);
    if (slot === undefined || closed) return;
    forget(slot);
    giveBack(slot.key, slot.leaseId, requestId);
  }

  function giveBack(key: string, leaseId: string, requestId: string) {
    semaphore.release(key, leaseId).catch((err: unknown) => {
      logger.warn({ err, requestId }, "agent run slot release failed; it lapses with its lease");
    });
  }

  /** No relay of the run is left here: follow it to its terminal chunk to free its slot then. */
  function follow(requestId: string, after: number) {
    const slot = slots.get(requestId);
    if (slot === undefined || slot.follower !== undefined || closed) return;
    const watch = queue.watch(requestId, after);
    slot.follower = watch;
    void (async () => {
      try {
        for await (const chunk of watch) if (isTerminal(chunk)) break;
      } catch (err) {
        logger.warn({ err, requestId }, "lost the agent run's stream; its slot is released");
      } finally {
        if (slot.follower === watch) finish(requestId);
      }
    })();
  }

  /** `inner` as seen by a relay: its terminal chunk frees the run's slot; stopping early hands over. */
  function observed(inner: RunWatch, requestId: string, after: number): RunWatch {
    let seen = after;
    let over = false;
    const stopped = () => {
      if (over) return;
      over = true;
      follow(requestId, seen);
    };
    return {
      close() {
        inner.close();
        stopped();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const chunk of inner) {
            seen = chunk.seq;
            if (isTerminal(chunk)) {
              over = true;
              finish(requestId);
            }
            yield chunk;
          }
        } finally {
          stopped();
        }
      },
    };
  }

  return {
    async submit(request): Promise<SubmitResult> {
      const tier = limits[request.tier];
      const key = `agent-run:${request.userId}`;
      // One step for both limits: the slot, and a start within the minute.
      const lease = await semaphore.acquire(key, tier.concurrent, leaseTtlMs, {
        key,
        rule: { limit: tier.runsPerMinute, windowMs: minuteMs },
      });
      if (!lease.acquired) {
        if ("rateLimited" in lease) {
          throw new AppError(
            "rate_limited",
            `at most ${tier.runsPerMinute} agent runs per minute on the ${request.tier} tier`,
            { retryAfterMs: lease.retryAfterMs },
          );
        }
        throw new AppError(
          "rate_limited",
          `at most ${tier.concurrent} agent runs at once on the ${request.tier} tier; wait for one to end`,
          { retryAfterMs: concurrencyRetryAfterMs },
        );
      }
      let result: SubmitResult;
      try {
        result = await queue.submit(request);
      } catch (err) {
        giveBack(key, lease.leaseId, request.requestId);
        throw err;
      }
      if (result.duplicate || closed) giveBack(key, lease.leaseId, request.requestId);
      else {
        slots.set(request.requestId, {
          key,
          leaseId: lease.leaseId,
          requestId: request.requestId,
          heldSince: Date.now(),
        });
      }
      return result;
    },

    watch(requestId, after, options) {
      return observed(queue.watch(requestId, after, options), requestId, after);
    },

    lastSeq: (requestId) => queue.lastSeq(requestId),
    cancel: (requestId) => queue.cancel(requestId),
    answer: (requestId, answer) => queue.answer(requestId, answer),
    consume: (handler, options) => queue.consume(handler, options),

    async close() {
      closed = true;
      clearInterval(renewals);
      for (const slot of slots.values()) slot.follower?.close();
      slots.clear();
    },
  };
}
