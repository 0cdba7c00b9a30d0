import type { OutgoingHttpHeader, ServerResponse } from "node:http";
import { apiHeaders } from "./browser-policy.js";

/**
 * A Server-Sent Events response over a hijacked reply. `send` writes one event named after the
 * frame's `type`; it returns false once the peer has gone or holds more than `maxBufferedBytes`
 * unsent (the caller then ends the stream: agent frames are never dropped silently).
 * `headers` are those the reply already had (CORS, request limit): a hijacked reply skips the
 * hooks that would otherwise write them.
 */
export interface SseStream {
  send<F extends { type: string }>(frame: F): boolean;
  end(): void;
}

export function openSse(
  raw: ServerResponse,
  maxBufferedBytes: number,
  headers: Record<string, OutgoingHttpHeader | undefined> = {},
): SseStream {
  const kept = Object.entries(headers).filter(
    (entry): entry is [string, OutgoingHttpHeader] => entry[1] !== undefined,
  );
  raw.writeHead(200, {
    ...Object.fromEntries(kept),
    ...apiHeaders,
    "content-type": "text/event-stream; charset=utf-8",
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
