import type { Socket } from "node:net";

const corked = new WeakSet<Socket>();

/**
 * Holds `socket`'s writes until the event loop's check phase, then sends them in one syscall.
 * A client library that writes whenever a microtask checkpoint ends (nats.js does) pays one
 * write — and on loopback, one wakeup of the peer — per step of every handler that publishes,
 * awaits and publishes again; under load the steps of many requests end in one loop turn, and
 * corking makes them one write. The delay is bounded by that turn: pending immediates keep the
 * loop from blocking in poll, so an idle process writes at once.
 */
export function corkForTurn(socket: Socket): void {
  if (corked.has(socket) || socket.destroyed) return;
  corked.add(socket);
  socket.cork();
  setImmediate(() => {
    corked.delete(socket);
    socket.uncork();
  });
}
