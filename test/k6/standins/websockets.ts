import { type BackendSocket, backend, hold, recordSent, runtime } from "./runtime.js";

/**
 * `k6/websockets`: the browser-like WebSocket of k6 over the test's backend. Every frame sent is
 * checked against the protocol; events reach listeners on a later turn, as on k6's event loop;
 * an open socket holds the iteration until its `close` event.
 */
type Listener = (event: Record<string, unknown>) => void;
interface Params {
  headers?: Record<string, string>;
}

export class WebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly url: string;
  readyState = 0;
  readonly #listeners = new Map<string, Listener[]>();
  readonly #connection: BackendSocket;
  readonly #release = hold();

  constructor(url: string, _protocols?: null, params?: Params | null) {
    this.url = url;
    this.#connection = backend().connect(
      url,
      { ...(params?.headers ?? {}) },
      {
        open: () => this.#emit("open", {}, () => (this.readyState = 1)),
        message: (text) => this.#emit("message", { data: text }),
        error: (message) => this.#emit("error", { error: message }),
        close: (code) =>
          this.#emit(
            "close",
            { code },
            () => (this.readyState = 3),
            () => this.#release(),
          ),
      },
    );
  }

  addEventListener(type: string, listener: Listener): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener);
    this.#listeners.set(type, list);
  }

  /** Takes what k6's takes (test/k6/standins-conformance.ts), but only text frames. */
  send(data: unknown): void {
    if (typeof data !== "string") throw new TypeError("the scripts send text frames");
    if (this.readyState !== 1) throw new Error(`send on a socket in state ${this.readyState}`);
    recordSent("ws", data, runtime.checkFrame(data));
    this.#connection.send(data);
  }

  close(): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.#connection.close();
  }

  #emit(type: string, event: Record<string, unknown>, before?: () => void, after?: () => void): void {
    setImmediate(() => {
      before?.();
      try {
        for (const listener of this.#listeners.get(type) ?? []) listener({ type, ...event });
      } catch (err) {
        runtime.errors.push(err);
      } finally {
        after?.();
      }
    });
  }
}
