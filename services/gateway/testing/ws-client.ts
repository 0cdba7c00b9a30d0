import WebSocket from "ws";
import { untilFound } from "../../../test/support/polling.js";

// biome-ignore lint/suspicious/noExplicitAny: frames are checked field by field in the tests.
export type Frame = Record<string, any>;

/** A real `ws` client that records every frame and the close, for tests. */
export class TestClient {
  readonly frames: Frame[] = [];
  /** Frames not yet returned by `take`. */
  readonly #unread: Frame[] = [];
  closeEvent: { code: number; reason: string } | undefined;
  pings = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.#unread.push(frame);
    });
    socket.on("ping", () => {
      this.pings += 1;
    });
    socket.on("close", (code, reason) => {
      this.closeEvent = { code, reason: reason.toString() };
    });
  }

  static open(url: string, options: { token?: string; queryToken?: string; autoPong?: boolean } = {}) {
    const target =
      options.queryToken === undefined ? url : `${url}?token=${encodeURIComponent(options.queryToken)}`;
    const socket = new WebSocket(target, {
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
      autoPong: options.autoPong ?? true,
    });
    const client = new TestClient(socket);
    return new Promise<TestClient>((resolve, reject) => {
      socket.once("open", () => resolve(client));
      socket.once("error", reject);
    });
  }

  /** Opens and waits for `welcome`. */
  static async connect(url: string, token: string): Promise<TestClient> {
    const client = await TestClient.open(url, { token });
    await client.take((f) => f.type === "welcome");
    return client;
  }

  /** The HTTP status of a refused upgrade, and its JSON body. */
  static refused(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Frame }> {
    const socket = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      socket.once("open", () => reject(new Error("upgrade was accepted")));
      socket.once("error", () => {});
      socket.once("unexpected-response", (_request, response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
    });
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Removes and returns the first unread frame matching `match`, waiting for it. */
  take(match: (frame: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    return untilFound(
      () => {
        const index = this.#unread.findIndex(match);
        return index < 0 ? undefined : this.#unread.splice(index, 1)[0];
      },
      timeoutMs,
      "a matching frame",
    );
  }

  /** Unread frames matching `match`, removed. */
  drain(match: (frame: Frame) => boolean): Frame[] {
    const taken = this.#unread.filter(match);
    for (const frame of taken) this.#unread.splice(this.#unread.indexOf(frame), 1);
    return taken;
  }

  waitClose(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    return untilFound(() => this.closeEvent, timeoutMs, "the socket to close");
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.socket.close();
  }
}
