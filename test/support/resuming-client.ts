import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { pause } from "./polling.js";

export interface ResumingClientOptions {
  /** WebSocket URLs (`ws://…/ws`) of the gateways, tried in turn from `first`. */
  urls: readonly string[];
  first?: number;
  userId: string;
  token: string;
  channels: readonly string[];
}

/** Where a client's view of a channel is: the seq and epoch of the last event or snapshot received. */
export interface ChannelPosition {
  seq: number;
  epoch: string;
}

/**
 * A live client that behaves as docs/protocol.md asks: when its socket closes it reconnects to
 * the next gateway (trying the others while one refuses) and subscribes again with `since` the
 * last event or snapshot it received on each channel, retrying while the gateway answers
 * `unavailable`. Every frame of every connection is kept in order, with the time it arrived.
 */
export class ResumingClient {
  readonly connections: TestClient[] = [];
  /** `recovered` of every re-subscription: false would mean a snapshot instead of the missed events. */
  readonly recoveries: boolean[] = [];
  readonly userId: string;
  readonly channels: readonly string[];
  readonly #urls: readonly string[];
  readonly #token: string;
  readonly #receivedAt = new WeakMap<Frame, number>();
  readonly #positions = new Map<string, ChannelPosition>();
  #reconnecting: Promise<void> = Promise.resolve();
  #closing = false;
  #next: number;

  private constructor(options: ResumingClientOptions) {
    this.userId = options.userId;
    this.channels = options.channels;
    this.#urls = options.urls;
    this.#token = options.token;
    this.#next = options.first ?? 0;
  }

  /** Connects and subscribes to every channel (retrying as on a reconnect). */
  static async open(options: ResumingClientOptions): Promise<ResumingClient> {
    const client = new ResumingClient(options);
    client.#reconnecting = client.#connect();
    await client.#reconnecting;
    return client;
  }

  get current(): TestClient {
    return this.connections.at(-1)!;
  }

  /** Every `event` frame of `channel`, across connections, in the order received. */
  events(channel: string): Frame[] {
    return this.frames(channel).filter((f) => f.type === "event");
  }

  /** Every `event` and `snapshot` frame of `channel`, across connections, in the order received. */
  frames(channel: string): Frame[] {
    return this.connections.flatMap((c) =>
      c.frames.filter((f) => (f.type === "event" || f.type === "snapshot") && f.channel === channel),
    );
  }

  /** Match events of `matchId` on `channel` (`scores` or `match.<id>`). */
  matchEvents(channel: string, matchId: string): Frame[] {
    return this.events(channel).filter((f) => f.data.matchId === matchId);
  }

  /** Epoch ms at which `frame` (one of this client's) arrived. */
  receivedAt(frame: Frame): number | undefined {
    return this.#receivedAt.get(frame);
  }

  /** Whether the client is subscribed on an open socket (no reconnection in progress). */
  get live(): boolean {
    return this.#live;
  }
  #live = false;

  /** Whatever reconnection is in progress has finished (and rejects with what went wrong). */
  settled(): Promise<void> {
    return this.#reconnecting;
  }

  close() {
    this.#closing = true;
    this.connections.at(-1)?.close();
  }

  async #connect(): Promise<void> {
    for (let attempt = 0; !this.#closing; attempt++) {
      if (attempt > 0) await pause(Math.min(50 * 2 ** attempt, 1000));
      const url = this.#urls[this.#next++ % this.#urls.length]!;
      let socket: TestClient;
      try {
        socket = await TestClient.connect(url, this.#token);
      } catch {
        continue; // refused or no welcome: a gateway that is down; try the next one.
      }
      // A reset after the open is reported by `close`; without a listener it would throw.
      socket.socket.on("error", () => {});
      this.connections.push(socket);
      this.#follow(socket);
      if (this.#closing) return socket.close();
      if (!(await this.#subscribeAll(socket))) continue;
      let reconnected = false;
      const reconnect = () => {
        if (reconnected || this.#closing) return;
        reconnected = true;
        this.#live = false;
        this.#reconnecting = this.#connect();
        // Awaited by `settled()`; a failure there is the test's to report.
        this.#reconnecting.catch(() => {});
      };
      socket.socket.once("close", reconnect);
      if (socket.isOpen) this.#live = true;
      else reconnect();
      return;
    }
  }

  /** Records arrival times and each channel's position as frames arrive (after TestClient's listener). */
  #follow(socket: TestClient) {
    socket.socket.on("message", () => {
      const frame = socket.frames.at(-1);
      if (frame === undefined) return;
      this.#receivedAt.set(frame, Date.now());
      if ((frame.type === "event" || frame.type === "snapshot") && typeof frame.channel === "string") {
        this.#positions.set(frame.channel, { seq: frame.seq, epoch: frame.epoch });
      }
    });
  }

  /** Subscribes to every channel with `since` where known; false when the socket closed first. */
  async #subscribeAll(socket: TestClient): Promise<boolean> {
    let n = 0;
    for (const channel of this.channels) {
      for (;;) {
        const id = `s${this.connections.length}-${n++}`;
        const position = this.#positions.get(channel);
        socket.send({
          type: "subscribe",
          id,
          channels: [channel],
          ...(position === undefined ? {} : { since: { [channel]: position } }),
        });
        const answer = await answerTo(socket, id, 15_000);
        if (answer === undefined) return false;
        if (answer.type === "subscribed") {
          if (position !== undefined) this.recoveries.push(answer.channels[0].recovered === true);
          break;
        }
        // The gateway cannot read the stream yet (NATS is restarting): retry as a client would.
        if (answer.code !== "unavailable") {
          throw new Error(`${this.userId}: subscribe ${channel} answered ${JSON.stringify(answer)}`);
        }
        await pause(200);
      }
    }
    return true;
  }
}

/** The answer to frame `id`, or undefined once the socket closed without one. */
async function answerTo(socket: TestClient, id: string, timeoutMs: number): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [answer] = socket.drain((f) => f.id === id);
    if (answer !== undefined) return answer;
    if (!socket.isOpen) return undefined;
    if (Date.now() > deadline) throw new Error(`no answer to ${id} within ${timeoutMs} ms`);
    await pause(10);
  }
}
