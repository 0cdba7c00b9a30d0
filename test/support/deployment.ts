import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createTempDatabase } from "../../shared/store/temp-database.js";

/**
 * A distributed deployment made of real processes for end-to-end tests: each service is
 * `node --import tsx services/<service>/main.ts` with its own environment. Every deployment has
 * its own stream and subject prefixes, so runs never collide on the shared NATS server, and
 * `stop()` deletes what it created. `NATS_URL` in `env` points it at another NATS server (one of
 * its own from `startNatsServer` in `owned-servers.ts`).
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export type ServiceName = "gateway" | "agent-worker" | "exchange" | "market-feed";

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  /** The port a gateway listens on (read from its log). */
  readonly port?: number;
  /** The port of the process's `/metrics` listener, the operator's (read from its log). */
  readonly metricsPort?: number;
  /** Everything the process printed, for assertions and failure messages. */
  output(): string;
  /** Resolves when a log line matching `pattern` has been printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export interface Deployment {
  readonly env: Record<string, string>;
  start(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  /** Starts a process without waiting for it to be ready (a start-up test watches it wait). */
  launch(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  /**
   * Gives the deployment a PostgreSQL database of its own (its `DATABASE_URL`): created before
   * the first process starts, dropped by `stop()`.
   */
  database?: boolean;
  /** How long a process may take to print its readiness line (default 15 s). */
  readyTimeoutMs?: number;
}

export function createDeployment(
  env: Record<string, string> = {},
  options: DeploymentOptions = {},
): Deployment {
  const id = randomBytes(4).toString("hex");
  const base: Record<string, string> = {
    NATS_URL: natsUrl,
    STREAM_PREFIX: `E2E_${id}_`,
    SUBJECT_PREFIX: `e2e${id}.`,
    LOG_LEVEL: "info",
    // Gateways refuse the built-in secret, and serve dev tokens only when told to.
    JWT_SECRET: "e2e-secret-0123456789abcdef",
    DEV_TOKENS: "true",
    HOST: "127.0.0.1",
    PORT: "0",
    // Each process's operator listener (/metrics, /readyz) on a port of its own.
    METRICS_PORT: "0",
    ...env,
  };
  const processes: ServiceProcess[] = [];
  let database: ReturnType<typeof createTempDatabase> | undefined;

  const launchOne = async (name: ServiceName, extra: Record<string, string>) => {
    if (options.database) database ??= createTempDatabase();
    const databaseEnv: Record<string, string> =
      database === undefined ? {} : { DATABASE_URL: (await database).url };
    const service = launch(name, { ...base, ...databaseEnv, ...extra });
    processes.push(service);
    return service;
  };

  return {
    env: base,
    launch: (name, extra = {}) => launchOne(name, extra),
    async start(name, extra = {}) {
      const service = await launchOne(name, extra);
      if (name === "gateway") {
        await service.waitFor(/Server listening at http:\/\/127\.0\.0\.1:\d+/, options.readyTimeoutMs);
        const port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(service.output())![1]);
        await service.waitFor(metricsLine, options.readyTimeoutMs);
        const metricsPort = Number(metricsLine.exec(service.output())![1]);
        Object.assign(service, { port, metricsPort });
      } else {
        await service.waitFor(readyLine[name], options.readyTimeoutMs);
        Object.assign(service, { metricsPort: Number(opsLine.exec(service.output())![1]) });
      }
      return service;
    },
    async stop() {
      for (const p of processes) p.kill("SIGTERM");
      await Promise.all(
        processes.map((p) =>
          Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]).then(() => p.kill("SIGKILL")),
        ),
      );
      await deleteStreams(base.STREAM_PREFIX!, base.NATS_URL);
      await (await database)?.drop();
    },
  };
}

const metricsLine = /"metrics":"http:\/\/127\.0\.0\.1:(\d+)\/metrics"/;
/** The ops listener's line of the exchange, a worker and a feed (`startDependencies`). */
const opsLine = /"ops":"http:\/\/127\.0\.0\.1:(\d+)"/;

const readyLine: Record<Exclude<ServiceName, "gateway">, RegExp> = {
  "agent-worker": /agent worker started/,
  exchange: /"msg":"serving"/,
  "market-feed": /market feed started/,
};

function launch(name: ServiceName, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", `services/${name}/main.ts`], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    child,
    output: () => text,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${name} did not print ${pattern} within ${timeoutMs} ms; output:\n${text.slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${name} exited before printing ${pattern}; output:\n${text.slice(-4000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off("exit", onExit);
        };
        waiters.add(check);
        child.once("exit", onExit);
        check();
      });
    },
  };
}

/** Whether a market-feed process leads now: its last word on the lease (its main.ts) was to lead. */
export function isLeading(feed: ServiceProcess): boolean {
  const said = feed.output().match(/leading: match clock running|standing by/g);
  return said?.at(-1) === "leading: match clock running";
}

/** Deletes every JetStream stream (and so its consumers) and KV bucket whose name starts with `prefix`. */
export async function deleteStreams(prefix: string, url = natsUrl): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
