import { Agent, request } from "node:http";
import { type ClientMethods, serveParent } from "../lib/client-processes.js";
import { epochNow } from "../lib/open-loop.js";

export interface LoadParams {
  /** `http://host:port` of the server under load. */
  url: string;
  path: string;
  /** One entry per connection of this process: its bearer token (if any) and its JSON body. */
  connections: { token?: string; body: unknown }[];
  durationMs: number;
  /** Epoch ms (`epochNow`) at which every client process starts its loops. */
  startAt: number;
}

export interface LoadResult {
  /** Latency (ms) of every answered request that finished 2xx within the phase. */
  latenciesMs: number[];
  /** Non-2xx answers by status, and transport errors as "error". */
  failures: Record<string, number>;
  /** A sample failed body, to say what went wrong. */
  failureSample?: string;
}

/**
 * Closed-loop HTTP load, as autocannon drives it: each connection (a keep-alive socket of its
 * own) sends its next request as soon as the previous answer has been read, for `durationMs`.
 */
async function load(params: LoadParams): Promise<LoadResult> {
  const target = new URL(params.url);
  const agent = new Agent({ keepAlive: true, maxSockets: params.connections.length });
  const latenciesMs: number[] = [];
  const failures: Record<string, number> = {};
  let failureSample: string | undefined;
  const wait = params.startAt - epochNow();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const endAt = params.startAt + params.durationMs;
  const once = (token: string | undefined, payload: string) =>
    new Promise<void>((resolve) => {
      const sent = epochNow();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: params.path,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (epochNow() <= endAt) latenciesMs.push(epochNow() - sent);
            } else {
              failures[status] = (failures[status] ?? 0) + 1;
              failureSample ??= Buffer.concat(chunks).toString("utf8").slice(0, 300);
            }
            resolve();
          });
        },
      );
      req.on("error", (err) => {
        failures.error = (failures.error ?? 0) + 1;
        failureSample ??= err.message;
        resolve();
      });
      req.end(payload);
    });
  await Promise.all(
    params.connections.map(async ({ token, body }) => {
      const payload = JSON.stringify(body);
      while (epochNow() < endAt) await once(token, payload);
    }),
  );
  agent.destroy();
  return { latenciesMs, failures, ...(failureSample === undefined ? {} : { failureSample }) };
}

serveParent({ load } satisfies ClientMethods);
