/**
 * What a session needs of a WebSocket; the `/ws` upgrade (`ws/ws-routes.ts`) adapts `ws` to it and
 * tests can supply their own. Contract: `send` and `ping` after `close` are ignored (never
 * throw); `close` is idempotent and also ends a peer that never answers the closing handshake;
 * `bufferedAmount` is the bytes accepted by `send` but not yet handed to the network.
 */
export interface SocketLike {
  /** Sends a text frame; a Buffer is the frame's UTF-8, encoded once for many sockets. */
  send(text: TextFrame): void;
  /**
   * Holds what is sent from now to the end of the current turn of the event loop, then writes it
   * at once: an agent run's frames arrive several at a time, and each write is a system call.
   */
  cork(): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
  /** Sends a WebSocket ping; the peer's pong reaches the session as `heard()`. */
  ping(): void;
}

/** A text frame as a string, or as its UTF-8 bytes. */
export type TextFrame = string | Buffer;
