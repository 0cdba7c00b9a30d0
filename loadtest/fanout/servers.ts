import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { deleteStreams, freePort } from "../../test/support/service-process.js";
import { startDeployment } from "../lib/deployment.js";
import type { Protocol } from "./client.js";

export type ServerKind = "ours" | "ws" | "socketio";

export const serverKinds: readonly ServerKind[] = ["ours", "ws", "socketio"];

/** One server under test, whichever it is: where sockets go, which processes to watch, how to stop. */
export interface ServerUnderTest {
  readonly kind: ServerKind;
  readonly protocol: Protocol;
  /** Base URL of each server process. */
  readonly urls: readonly string[];
  /** The LIVE stream the server follows (the publisher uses the same). */
  readonly streamPrefix: string;
  readonly subjectPrefix: string;
  /** The processes that fan out (gateways, or the baseline server). */
  readonly fanout: readonly { name: string; pid: number | undefined }[];
  /** Other processes of the server (the deployment's exchange), watched for CPU only. */
  readonly others: readonly { name: string; pid: number | undefined }[];
  /** RSS (from /proc) and V8 heap used of the fan-out processes, summed. */
  memory(): Promise<{ rssBytes: number; heapUsedBytes: number }>;
  unexpectedExits(): string[];
  /** Spans our traced deployment exported so far (after `stop`: all of them); 0 untraced. */
  spans(): number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  natsUrl: string;
  /** Gateways of our deployment (ignored by the baselines). */
  gateways: number;
  /** Extra node flags of the fan-out processes (e.g. `--cpu-prof`). */
  nodeArgs: string[];
  /** Our deployment traced at this ratio (lib/deployment.ts `traceRatio`); the baselines never are. */
  traceRatio?: number;
}

export function startServer(kind: ServerKind, options: ServerOptions): Promise<ServerUnderTest> {
  return kind === "ours" ? startGateways(options) : startBaseline(kind, options);
}

/** Resident set size of a process in bytes (VmRSS), NaN when it is gone. */
export function rssBytes(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

async function startGateways(options: ServerOptions): Promise<ServerUnderTest> {
  const deployment = await startDeployment({
    gateways: options.gateways,
    workers: 0,
    natsUrl: options.natsUrl,
    // The benchmark is the only feed: the market-feed's match clock would add events of its own.
    // Sockets share 50 users (hundreds per user per gateway): the per-user cap is not what is measured.
    env: { FEED_ENABLED: "false", MAX_SOCKETS_PER_USER: "1000000" },
    nodeArgs: { gateway: options.nodeArgs },
    ...(options.traceRatio === undefined ? {} : { traceRatio: options.traceRatio }),
  });
  const processes = deployment.processes();
  return {
    kind: "ours",
    protocol: "gateway",
    urls: deployment.gatewayUrls,
    streamPrefix: deployment.prefix,
    subjectPrefix: deployment.subjectPrefix,
    fanout: processes.filter((p) => p.name.startsWith("gateway-")),
    others: processes.filter((p) => !p.name.startsWith("gateway-")),
    async memory() {
      const figures = await Promise.all(
        processes
          .filter((p) => p.name.startsWith("gateway-"))
          .map(async (p, i) => {
            const metrics = await fetch(deployment.metricsUrls[i]!).then((r) => r.text());
            const heap = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1];
            return { rss: rssBytes(p.pid), heap: heap === undefined ? Number.NaN : Number(heap) };
          }),
      );
      return {
        rssBytes: figures.reduce((a, f) => a + f.rss, 0),
        heapUsedBytes: figures.reduce((a, f) => a + f.heap, 0),
      };
    },
    unexpectedExits: () => deployment.unexpectedExits(),
    spans: () => deployment.tracing?.spans() ?? 0,
    stop: () => deployment.stop(),
  };
}

const baselineModules: Record<Exclude<ServerKind, "ours">, string> = {
  ws: fileURLToPath(new URL("./bare-ws-server.ts", import.meta.url)),
  socketio: fileURLToPath(new URL("./socketio-server.ts", import.meta.url)),
};

async function startBaseline(kind: "ws" | "socketio", options: ServerOptions): Promise<ServerUnderTest> {
  const id = randomBytes(4).toString("hex");
  const streamPrefix = `LT_${id}_`;
  const subjectPrefix = `lt${id}.`;
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...options.nodeArgs, "--import", "tsx", baselineModules[kind]],
    {
      env: {
        ...process.env,
        NATS_URL: options.natsUrl,
        STREAM_PREFIX: streamPrefix,
        SUBJECT_PREFIX: subjectPrefix,
        HOST: "127.0.0.1",
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    await deleteStreams(streamPrefix, options.natsUrl);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} server not ready within 30 s`)), 30_000);
      child.once("exit", (code) => reject(new Error(`${kind} server exited (${code})`)));
      child.stdout?.on("data", (chunk: Buffer) => {
        if (String(chunk).includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    kind,
    protocol: kind,
    urls: [url],
    streamPrefix,
    subjectPrefix,
    fanout: [{ name: `${kind}-server`, pid: child.pid }],
    others: [],
    async memory() {
      const usage = (await fetch(`${url}/mem`).then((r) => r.json())) as NodeJS.MemoryUsage;
      return { rssBytes: rssBytes(child.pid), heapUsedBytes: usage.heapUsed };
    },
    unexpectedExits: () =>
      stopping || (child.exitCode === null && child.signalCode === null)
        ? []
        : [`${kind}-server (${child.signalCode ?? child.exitCode})`],
    spans: () => 0,
    stop,
  };
}
