import { type Frame, TestClient } from "../../services/gateway/testing/ws-client.js";
import { pause } from "../support/polling.js";

/**
 * One user's WebSocket as a well-behaved client keeps it: when it closes (its gateway died) the
 * next `open()` connects to the next gateway of the list, trying them in turn with a backoff until
 * one answers. Callers notice the loss through `nextFrames` answering "closed".
 */
export class RoamingSocket {
  /** Every socket opened so far, in order. */
  readonly sockets: TestClient[] = [];
  /** Index (in the list) of the gateway of the current socket. */
  gateway: number;
  #socket: TestClient | undefined;
  #opening: Promise<TestClient> | undefined;
  #next: number;

  constructor(
    private readonly urls: readonly string[],
    private readonly token: string,
    first: number,
  ) {
    this.#next = first;
    this.gateway = first % urls.length;
  }

  /** An open socket: the current one, or a new one on the next gateway that accepts. */
  open(): Promise<TestClient> {
    if (this.#socket?.isOpen) return Promise.resolve(this.#socket);
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /** Drops the connection at once, as a lost network would (no close handshake). */
  drop(): void {
    this.#socket?.socket.terminate();
  }

  close(): void {
    this.#socket?.close();
  }

  /** Unread frames matching `match` of every socket so far, removed. */
  drain(match: (frame: Frame) => boolean): Frame[] {
    return this.sockets.flatMap((s) => s.drain(match));
  }

  async #connect(): Promise<TestClient> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await pause(Math.min(50 * 2 ** attempt, 1000));
      const gateway = this.#next++ % this.urls.length;
      try {
        const socket = await TestClient.connect(this.urls[gateway]!, this.token);
        // A reset after the open is reported by `close`; without a listener it would throw.
        socket.socket.on("error", () => {});
        this.#socket = socket;
        this.gateway = gateway;
        this.sockets.push(socket);
        return socket;
      } catch {
        // Refused, or no welcome: that gateway is down; the next one is tried.
      }
    }
  }
}

/**
 * The unread frames of `client` matching `match` (removed, in order) as soon as there is one;
 * "closed" when the socket closes first, "timeout" after `timeoutMs`. Event-driven: it wakes on
 * each frame instead of polling, since dozens of these wait at once during a fault.
 */
export function nextFrames(
  client: TestClient,
  match: (frame: Frame) => boolean,
  timeoutMs: number,
): Promise<Frame[] | "closed" | "timeout"> {
  return new Promise((resolve) => {
    const socket = client.socket;
    const finish = (result: Frame[] | "closed" | "timeout") => {
      clearTimeout(timer);
      socket.off("message", onMessage);
      socket.off("close", onClose);
      resolve(result);
    };
    // Runs after TestClient's own listener has recorded the frame.
    const onMessage = () => {
      const frames = client.drain(match);
      if (frames.length > 0) finish(frames);
    };
    const onClose = () => {
      const frames = client.drain(match);
      finish(frames.length > 0 ? frames : "closed");
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("message", onMessage);
    socket.on("close", onClose);
    const ready = client.drain(match);
    if (ready.length > 0) finish(ready);
    else if (!client.isOpen) finish("closed");
  });
}
