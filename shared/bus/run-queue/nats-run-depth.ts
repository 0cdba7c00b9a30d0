import type { JetStreamManager } from "@nats-io/jetstream";
import type { TierCounts } from "./admission.js";
import { type RunNames, tiers } from "./nats-run-streams.js";
import type { AgentRunRequest } from "./run-queue.js";

type Tier = AgentRunRequest["tier"];

/**
 * How old the server's counts may get before a read refreshes them in the background. A refresh
 * lists every consumer of both streams, which the server answers on its one JetStream API queue:
 * four a second from each gateway made agent runs' p99 at 500/s two to five times what one a
 * second gives (A/B runs: 131 and 306 ms against 25 and 66 ms).
 */
const refreshAfterMs = 1000;
/**
 * Counts older than this (the gateway was idle: workers may have emptied the queue meanwhile) are
 * refreshed before a read answers, so an idle gateway never refuses on a full queue of long ago.
 */
const staleAfterMs = 2000;

export interface DepthEstimate {
  /** Runs in each tier's stream: waiting, or held by a worker until its ack. */
  unsettled: TierCounts;
  /** Runs not yet delivered to any worker. */
  waiting: TierCounts;
}

/** A submit counted in the estimate from its admission on; settled exactly once. */
export interface DepthReservation {
  /** The run is in its stream. */
  stored(): void;
  /** The run was not stored (a duplicate, a refusal, a failure). */
  release(): void;
}

/**
 * This gateway's estimate of the agent queue's depth, for admission and `queuedAhead`, without an
 * API call per submit: the server's counts (each tier's stream size, and its consumers'
 * `num_pending`), at most `refreshAfterMs` old while submits keep coming, plus this gateway's own
 * submits since, counted from the moment they are admitted. Submits that overlap therefore see each
 * other. Other gateways' submits show only at the next refresh, and runs taken by workers since
 * then still count: an estimate, which the streams' own bounds back up.
 */
export interface RunDepth {
  /**
   * Starts a background refresh when the counts are due one. Returns the refresh to wait for when
   * they are too old to use, else undefined: then read `estimate()` with no await in between.
   */
  whenCurrent(): Promise<void> | undefined;
  estimate(): DepthEstimate;
  /** Counts a run of `tier` in the estimate, as unsettled and waiting, until the next refresh. */
  reserve(tier: Tier): DepthReservation;
}

export async function createRunDepth(jsm: JetStreamManager, names: RunNames): Promise<RunDepth> {
  let server: DepthEstimate = { unsettled: { pro: 0, free: 0 }, waiting: { pro: 0, free: 0 } };
  let at = 0;
  /** Stored since the counts now in `server` were asked for (they may lack them). */
  const stored = { pro: 0, free: 0 };
  /** Admitted, not yet stored or released. */
  const pending = { pro: 0, free: 0 };
  let refreshing: Promise<void> | undefined;

  const countTier = async (tier: Tier) => {
    const stream = names.reqStream(tier);
    const waiting = async () => {
      let sum = 0;
      for await (const consumer of jsm.consumers.list(stream)) sum += consumer.num_pending;
      return sum;
    };
    const [info, pendingRuns] = await Promise.all([jsm.streams.info(stream), waiting()]);
    return { unsettled: info.state.messages, waiting: pendingRuns };
  };
  const fetchCounts = async (): Promise<DepthEstimate> => {
    const [pro, free] = await Promise.all([countTier("pro"), countTier("free")]);
    return {
      unsettled: { pro: pro.unsettled, free: free.unsettled },
      waiting: { pro: pro.waiting, free: free.waiting },
    };
  };

  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      // A submit stored before the request is in the server's answer; one stored while it is on
      // its way may be counted twice until the next refresh, which errs towards refusing.
      const before = { ...stored };
      try {
        server = await fetchCounts();
        at = Date.now();
        for (const tier of tiers) stored[tier] -= before[tier];
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };

  const estimate = (): DepthEstimate => {
    const own = (tier: Tier) => stored[tier] + pending[tier];
    return {
      unsettled: { pro: server.unsettled.pro + own("pro"), free: server.unsettled.free + own("free") },
      waiting: { pro: server.waiting.pro + own("pro"), free: server.waiting.free + own("free") },
    };
  };

  await refresh();
  return {
    whenCurrent() {
      const age = Date.now() - at;
      if (age <= refreshAfterMs) return undefined;
      // A failed refresh leaves the last counts: the streams' bounds still hold meanwhile.
      const refreshed = refresh().catch(() => undefined);
      return age > staleAfterMs ? refreshed : undefined;
    },
    estimate,
    reserve(tier) {
      pending[tier] += 1;
      let settled = false;
      const settle = (wasStored: boolean) => {
        if (settled) return;
        settled = true;
        pending[tier] -= 1;
        if (wasStored) stored[tier] += 1;
      };
      return { stored: () => settle(true), release: () => settle(false) };
    },
  };
}
