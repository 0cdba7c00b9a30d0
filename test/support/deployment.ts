import { randomBytes } from "node:crypto";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { deleteStreams, type ServiceName, type ServiceProcess, spawnService } from "./service-process.js";

/**
 * A distributed deployment made of real processes for end-to-end tests: each service is
 * `node --import tsx services/<service>/main.ts` with its own environment. Every deployment has
 * its own stream and subject prefixes, so runs never collide on the shared NATS server, and
 * `stop()` deletes what it created. `NATS_URL` in `env` points it at another NATS server (one of
 * its own from `startNatsServer` in `owned-servers.ts`).
 */
export const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export type { ServiceName, ServiceProcess };

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
  /** How long a process may take to print its readiness line (default 40 s). */
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
    const service = spawnService(name, { env: { ...base, ...databaseEnv, ...extra } });
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
      await deleteStreams(base.STREAM_PREFIX!, base.NATS_URL!);
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

/** Whether a market-feed process leads now: its last word on the lease (its main.ts) was to lead. */
export function isLeading(feed: ServiceProcess): boolean {
  const said = feed.output().match(/leading: match clock running|standing by/g);
  return said?.at(-1) === "leading: match clock running";
}
