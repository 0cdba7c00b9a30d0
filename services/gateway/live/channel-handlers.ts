import type { LiveEvent } from "../../../shared/bus/live-stream/live-stream.js";
import { AppError, toAppError } from "../../../shared/errors.js";
import type { ClientFrameOf } from "../../../shared/protocol/client-frames.js";
import type {
  ChannelRejection,
  ChannelState,
  SnapshotFrame,
  SubscribedFrame,
} from "../../../shared/protocol/server-frames.js";
import type { SessionContext } from "../session/frame-handlers.js";
import { type ChannelRoute, eventText, parseChannel } from "./channels.js";
import type { FanoutListener, LiveHub } from "./live-hub.js";
import type { LiveMetrics } from "./live-metrics.js";
import { createOutbox, type Outbox, type OutboxLimits } from "./outbox.js";
import { readSnapshot, type SnapshotSources } from "./snapshots.js";

/** What a session needs to serve channels; one hub and its sources per gateway process. */
export interface ChannelDeps extends SnapshotSources {
  hub: LiveHub;
  metrics: LiveMetrics;
  limits: OutboxLimits & {
    /** Channels one socket may hold at once. */
    maxChannelsPerSocket: number;
    /** Live events one channel may hold back while its history or snapshot is read. */
    maxHeldEvents: number;
  };
}

export interface ChannelHandlers {
  subscribe(frame: ClientFrameOf<"subscribe">): Promise<void>;
  unsubscribe(frame: ClientFrameOf<"unsubscribe">): void;
  /** The session ended: every channel is detached. */
  close(): void;
}

interface Prepared {
  state: ChannelState;
  frames: string[];
}

/**
 * `subscribe` and `unsubscribe` for one session (docs/protocol.md "Channels"). A new channel joins
 * the fan-out at once but holds its live events back while its history (`since`) or snapshot is
 * read; then, in one turn, `subscribed`, the missed events or the snapshot, and the held events
 * newer than those go out, and the channel is live. Nothing between the read and the live
 * stream is lost or sent twice.
 *
 * Each channel of a frame stands alone (docs/protocol.md "Channels"): one that is unknown,
 * forbidden or unreadable is listed in `subscribed.rejected` and gets its own `error` frame, and
 * the others are subscribed. Only when none is left is there no `subscribed` at all.
 */
export function createChannelHandlers(session: SessionContext, deps: ChannelDeps): ChannelHandlers {
  return new SessionChannels(session, deps);
}

// Classes declared once for the process, not per session: every socket shares their methods
// and their hidden classes.
class SessionChannels implements ChannelHandlers {
  readonly outbox: Outbox;
  readonly #channels = new Map<string, ChannelSubscription>();

  constructor(
    readonly session: SessionContext,
    readonly deps: ChannelDeps,
  ) {
    this.outbox = createOutbox(session, deps.limits, deps.metrics);
  }

  async subscribe(frame: ClientFrameOf<"subscribe">): Promise<void> {
    const { session, deps } = this;
    const { hub, limits } = deps;
    const channels = this.#channels;
    const routes: ChannelRoute[] = [];
    const refused: { channel: string; error: AppError }[] = [];
    for (const name of new Set(frame.channels)) {
      try {
        routes.push(parseChannel(name, session.claims.sub, hub.dataset));
      } catch (err) {
        refused.push({ channel: name, error: toAppError(err) });
      }
    }
    const adding = routes.filter((route) => !channels.has(route.name)).length;
    if (channels.size + adding > limits.maxChannelsPerSocket) {
      throw new AppError("bad_request", `at most ${limits.maxChannelsPerSocket} channels per socket`);
    }
    if (routes.length === 0) {
      this.#refuse(frame.id, refused);
      return;
    }
    try {
      await hub.ready();
    } catch (err) {
      session.logger.error({ err }, "live stream unavailable");
      throw new AppError("unavailable", "live channels are unavailable; retry later", { cause: err });
    }
    if (session.isClosed) return;
    const subscriptions = routes.map((route) => {
      channels.get(route.name)?.end();
      const subscription = new ChannelSubscription(this, route);
      channels.set(route.name, subscription);
      return subscription;
    });
    const reads = await Promise.allSettled(
      subscriptions.map((s) => prepare(deps, s, frame.since?.[s.route.name])),
    );
    if (session.isClosed) return;
    // From here to the end nothing awaits: the answer, the catch-up and going live are one turn.
    const ready: { subscription: ChannelSubscription; prepared: Prepared }[] = [];
    reads.forEach((read, i) => {
      const subscription = subscriptions[i]!;
      const name = subscription.route.name;
      // Unsubscribed, or subscribed again, while this read was in flight.
      if (channels.get(name) !== subscription) return;
      if (read.status === "fulfilled") {
        ready.push({ subscription, prepared: read.value() });
        return;
      }
      subscription.end();
      channels.delete(name);
      const error = toAppError(read.reason);
      if (error.code === "internal")
        session.logger.error({ err: read.reason, channel: name }, "channel read failed");
      refused.push({
        channel: name,
        error:
          error.code === "internal"
            ? new AppError("unavailable", `${name}: channel state unavailable`)
            : error,
      });
    });
    // In the order the client asked for them.
    const order = frame.channels;
    refused.sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel));
    if (ready.length > 0) {
      const answer: SubscribedFrame = {
        type: "subscribed",
        id: frame.id,
        channels: ready.map((r) => r.prepared.state),
      };
      if (refused.length > 0) answer.rejected = refused.map(rejection);
      session.send(answer);
    }
    for (const { subscription, prepared } of ready) {
      for (const text of prepared.frames) this.outbox.send(text);
      subscription.goLive(prepared.state.seq, prepared.state.epoch);
    }
    this.#refuse(frame.id, refused);
  }

  /** One `error` frame per refused channel, as before `subscribed` listed them in `rejected`. */
  #refuse(id: string, refused: { error: AppError }[]): void {
    for (const { error } of refused) this.session.sendError(id, error);
  }

  unsubscribe(frame: ClientFrameOf<"unsubscribe">): void {
    for (const name of frame.channels) {
      this.#channels.get(name)?.end();
      this.#channels.delete(name);
    }
    this.session.send({ type: "unsubscribed", id: frame.id, channels: frame.channels });
  }

  close(): void {
    for (const subscription of this.#channels.values()) subscription.end();
    this.#channels.clear();
    this.outbox.close();
  }
}

class ChannelSubscription implements FanoutListener {
  held: { event: LiveEvent; text: Buffer; key: string | undefined }[] | undefined = [];
  seq = -1;
  epoch = "";
  /** Resolves once the hub's events of the channel reach this subscription. */
  readonly attached: Promise<unknown>;

  constructor(
    readonly owner: SessionChannels,
    readonly route: ChannelRoute,
  ) {
    this.attached = owner.deps.hub.attach(route, this);
  }

  deliver(event: LiveEvent, text: Buffer, key: string | undefined) {
    if (this.held === undefined) {
      this.forward(event, text, key);
    } else if (this.held.length < this.owner.deps.limits.maxHeldEvents) {
      this.held.push({ event, text, key });
    } else {
      const { session, deps } = this.owner;
      session.logger.info({ channel: this.route.name }, "live events outran the subscription read");
      deps.metrics.slowConsumers.inc();
      session.closeSlow();
    }
  }

  /** The channel goes live after its history or snapshot, which covered up to `seq`. */
  goLive(seq: number, epoch: string) {
    this.seq = seq;
    this.epoch = epoch;
    const held = this.held ?? [];
    this.held = undefined;
    for (const { event, text, key } of held) this.forward(event, text, key);
  }

  end() {
    this.owner.deps.hub.detach(this.route, this);
    this.owner.outbox.forget(this.route.name);
  }

  forward(event: LiveEvent, text: Buffer, key: string | undefined) {
    if (event.epoch === this.epoch && event.seq <= this.seq) return;
    this.seq = event.seq;
    this.epoch = event.epoch;
    if (key === undefined) this.owner.outbox.send(text);
    else this.owner.outbox.sendConflatable(key, text);
  }
}

function rejection({ channel, error }: { channel: string; error: AppError }): ChannelRejection {
  return { channel, code: error.code, message: error.message, retryable: error.retryable };
}

/** Reads the channel's missed events or snapshot; the returned step builds its frames. */
async function prepare(
  deps: ChannelDeps,
  subscription: ChannelSubscription,
  since: { seq: number; epoch: string } | undefined,
): Promise<() => Prepared> {
  const { hub } = deps;
  const { route } = subscription;
  // Reads start only once the channel's live events are sure to reach the subscription.
  await subscription.attached;
  if (since !== undefined) {
    const missed = await hub.live.history(route.source, since.seq, since.epoch);
    if (missed.recovered) {
      const last = missed.events.at(-1);
      const state: ChannelState = {
        channel: route.name,
        seq: last?.seq ?? since.seq,
        epoch: since.epoch,
        recovered: true,
      };
      const frames = missed.events.map((e) => eventText(route.name, e, JSON.stringify(e.data)));
      return () => ({ state, frames });
    }
  }
  const read = await readSnapshot(hub, deps, route);
  return () => {
    const { seq, epoch, data } = read();
    const state: ChannelState = { channel: route.name, seq, epoch };
    if (since !== undefined) state.recovered = false;
    const frame: SnapshotFrame = { type: "snapshot", channel: route.name, seq, epoch, data };
    return { state, frames: [JSON.stringify(frame)] };
  };
}
