import { type ChannelMessage, connect, type PlatformClient } from "../../shared/client/mod.js";
import { type FaultySockets, faultySockets } from "./faulty-web-socket.js";
import { until } from "./polling.js";

export interface LiveClientOptions {
  /** WebSocket URLs (`ws://…/ws`) of the gateways, tried in turn from `first`. */
  urls: readonly string[];
  first?: number;
  userId: string;
  token: string;
  channels: readonly string[];
}

/** A message as a test reads it: `data` is the channel's payload (docs/protocol.md "Channels"). */
// biome-ignore lint/suspicious/noExplicitAny: tests read payload fields of every channel's shape.
export type LiveMessage = ChannelMessage & { data: Record<string, any> };

/**
 * A live subscriber on the client library (shared/client), recording what a program would read:
 * every message its subscriptions yield, per channel, with the time it was yielded. Resuming
 * after a dropped socket or a gateway gone (`since`, the overlap dropped, `unavailable` retried)
 * is the library's; this only records, so the tests check the library's own guarantees.
 */
export class LiveClient {
  readonly client: PlatformClient;
  readonly userId: string;
  readonly channels: readonly string[];
  readonly #sockets: FaultySockets = faultySockets();
  readonly #messages = new Map<string, LiveMessage[]>();
  readonly #receivedAt = new WeakMap<ChannelMessage, number>();
  #onlines = 0;
  #failure: Error | undefined;

  private constructor(options: LiveClientOptions) {
    this.userId = options.userId;
    this.channels = options.channels;
    const first = options.first ?? 0;
    this.client = connect({
      url: [...options.urls.slice(first), ...options.urls.slice(0, first)],
      token: options.token,
      WebSocket: this.#sockets.WebSocket,
      // Quick to come back, as the tests' faults are short: retries within a second.
      backoff: { baseMs: 100, maxMs: 1_000, drainMaxMs: 500 },
    });
    this.client.onState((state) => {
      if (state.state === "online") this.#onlines += 1;
    });
    for (const channel of this.channels) void this.#follow(channel);
  }

  /** Connects and subscribes to every channel: resolves once each has answered with its snapshot. */
  static async open(options: LiveClientOptions): Promise<LiveClient> {
    const client = new LiveClient(options);
    await until(
      () => client.#failure !== undefined || client.channels.every((c) => client.frames(c).length > 0),
      15_000,
      `${options.userId}: a snapshot of every channel`,
    );
    if (client.#failure !== undefined) throw client.#failure;
    return client;
  }

  async #follow(channel: string) {
    const received: LiveMessage[] = [];
    this.#messages.set(channel, received);
    try {
      for await (const message of this.client.subscribe(channel)) {
        this.#receivedAt.set(message, Date.now());
        received.push(message as LiveMessage);
      }
    } catch (error) {
      this.#failure ??= error as Error;
    }
  }

  /** Every `event` of `channel` the subscription yielded, in order. */
  events(channel: string): LiveMessage[] {
    return this.frames(channel).filter((f) => f.type === "event");
  }

  /** Every `event` and `snapshot` of `channel` the subscription yielded, in order. */
  frames(channel: string): LiveMessage[] {
    return this.#messages.get(channel) ?? [];
  }

  /** Match events of `matchId` on `channel` (`scores` or `match.<id>`). */
  matchEvents(channel: string, matchId: string): LiveMessage[] {
    return this.events(channel).filter((f) => f.data.matchId === matchId);
  }

  /** Epoch ms at which `message` (one of this client's) was yielded. */
  receivedAt(message: ChannelMessage): number | undefined {
    return this.#receivedAt.get(message);
  }

  /**
   * Channels that came back with a snapshot after the first message (`recovered:false`): the
   * history the client needed was gone, so events in between may be missing.
   */
  historyLost(): string[] {
    return this.channels.filter((c) => this.frames(c).some((f, i) => i > 0 && f.type === "snapshot"));
  }

  /** New sockets welcomed after the first. */
  get reconnects(): number {
    return Math.max(0, this.#onlines - 1);
  }

  /** Welcomed on an open socket, and no subscription failed. */
  get live(): boolean {
    return this.client.state.state === "online" && this.#failure === undefined;
  }

  /** Back online (rejects with what ended a subscription, if one failed). */
  async settled(timeoutMs = 30_000): Promise<void> {
    await until(() => this.live || this.#failure !== undefined, timeoutMs, `${this.userId} online`);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Drops the socket as a dead network would: the library must resume on a new one. */
  drop() {
    this.#sockets.dropLatest();
  }

  close() {
    this.client.close();
  }
}
