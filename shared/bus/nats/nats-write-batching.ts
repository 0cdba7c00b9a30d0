import type { Socket } from "node:net";
import { NodeTransport } from "@nats-io/transport-node/lib/node_transport.js";
import { corkForTurn } from "../../net/turn-corking.js";

let installed = false;

/**
 * Makes every NATS connection of this process write at most once per event-loop turn
 * (turn-corking.ts). nats.js flushes its outbound buffer after each microtask checkpoint, so an
 * exchange answering a trade — the reply, `fill`, `balance` and `market` on LIVE, in two or three
 * checkpoints — wrote three or four times per trade, and nats-server read as often. nats.js has
 * no option for this; its transport's one write path is wrapped instead, which also covers the
 * sockets of reconnects. Idempotent.
 */
export function batchNatsWrites(): void {
  if (installed) return;
  installed = true;
  const transport = NodeTransport.prototype as unknown as {
    socket?: Socket;
    _send(frame: Uint8Array): Promise<void>;
  };
  const send = transport._send;
  transport._send = function (this: typeof transport, frame: Uint8Array) {
    if (this.socket !== undefined) corkForTurn(this.socket);
    return send.call(this, frame);
  };
}
