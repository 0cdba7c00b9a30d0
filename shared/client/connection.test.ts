import assert from "node:assert/strict";
import { test } from "node:test";
import { pause, until } from "../../test/support/polling.js";
import { connect } from "./client.js";
import { ClientClosedError, ClosedByServerError } from "./errors.js";
import type { WebSocketLike } from "./web-socket.js";

/**
 * Close codes a real gateway cannot be made to send on demand (docs/protocol.md "Close codes"),
 * played by a socket of this file: it opens, welcomes, and closes with the code a test asks for.
 */
function scriptedSockets() {
  const opened: ScriptedSocket[] = [];
  class ScriptedSocket implements WebSocketLike {
    readyState = 0;
    onopen: WebSocketLike["onopen"] = null;
    onmessage: WebSocketLike["onmessage"] = null;
    onclose: WebSocketLike["onclose"] = null;
    onerror: WebSocketLike["onerror"] = null;
    constructor(readonly url: string) {
      opened.push(this);
      queueMicrotask(() => {
        this.readyState = 1;
        this.onopen?.({});
        const welcome = { type: "welcome", sessionId: "s", gatewayId: "g", serverTime: "", heartbeatMs: 1 };
        this.onmessage?.({ data: JSON.stringify(welcome) });
      });
    }
    send() {}
    close() {
      this.closeWith(1000);
    }
    closeWith(code: number) {
      this.readyState = 3;
      this.onclose?.({ code, reason: "scripted" });
    }
  }
  return { WebSocket: ScriptedSocket, opened };
}

const token = "not-a-jwt";

test("after 4008 (reconnect range) the client reconnects; after a terminal close (4500–4999) it stops", async () => {
  const sockets = scriptedSockets();
  const client = connect({
    url: "ws://gateway/ws",
    token,
    WebSocket: sockets.WebSocket,
    backoff: { baseMs: 1 },
  });
  await client.ready();
  const ended = (async () => {
    for await (const _ of client.subscribe("scores"));
  })();
  sockets.opened[0]!.closeWith(4008);
  await until(() => sockets.opened.length === 2 && client.state.state === "online", 2_000, "a second socket");
  sockets.opened[1]!.closeWith(4500);
  assert.equal(client.state.state, "closed");
  assert.ok(client.state.state === "closed" && client.state.error instanceof ClosedByServerError);
  await assert.rejects(ended, ClientClosedError);
  // Nothing to wait for: give a reconnect (1 ms backoff) time to happen if it were going to.
  await pause(50);
  assert.equal(sockets.opened.length, 2, "no socket after the terminal close");
});
