import { parseArgs } from "node:util";
import type { WebSocketConstructor } from "../mod.js";

/**
 * What both examples take: `--url http://host:port` of a gateway (the embedded platform's by
 * default) and `--user`; they ask its development issuer for tokens (docs/protocol.md
 * "HTTP", `POST /api/auth/dev-token`). A real program gets its tokens from its own auth service.
 */
export function exampleOptions(extra: Record<string, { type: "string"; default?: string }> = {}) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8080" },
      user: { type: "string", default: "example-bot" },
      ...extra,
    },
  });
  const strings = values as Record<string, string | undefined>;
  const base = strings.url!.replace(/\/$/, "");
  const userId = strings.user!;
  return {
    values: strings,
    base,
    wsUrl: `${base.replace(/^http/, "ws")}/ws`,
    userId,
    getToken: async () => {
      const res = await fetch(`${base}/api/auth/dev-token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId, tier: "pro" }),
      });
      if (!res.ok) throw new Error(`dev-token: HTTP ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    },
  };
}

/** Node 22+ and browsers have a global WebSocket; Node 20 takes the `ws` package's. */
export async function webSocketClass(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return global ?? (await import("ws")).WebSocket;
}
