import type { ServerResponse } from "node:http";

/**
 * A Server-Sent Events response over a hijacked reply. `send` writes one event named after the
 * frame's `type`; it returns false once the peer has gone or holds more than `maxBufferedBytes`
 * unsent (the caller then ends the stream: agent frames are never dropped silently).
 */
export interface SseStream {
  send<F extends { type: string }>(frame: F): boolean;
  end(): void;
}

export function openSse(raw: ServerResponse, maxBufferedBytes: number): SseStream {
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    // Proxies (nginx ingress) would otherwise buffer the stream.
    "x-accel-buffering": "no",
  });
  return {
    send(frame) {
      if (raw.destroyed || raw.writableEnded) return false;
      raw.write(`event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`);
      return raw.writableLength <= maxBufferedBytes;
    },
    end() {
      if (!raw.writableEnded) raw.end();
    },
  };
}
