import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createTempDatabase } from "../../shared/store/temp-database.js";
import { startOtlpReceiver } from "../../test/support/otlp-receiver.js";
import {
  deleteStreams,
  freePort,
  type ServiceProcess,
  type ServiceName as ServiceRole,
  spawnService,
  tail,
} from "../../test/support/service-process.js";

export type { ServiceRole };

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface DeploymentOptions {
  gateways?: number;
  workers?: number;
  /** Exchange processes (one queue group shares the requests); default 1. */
  exchanges?: number;
  /** Environment of every service on top of the benchmark defaults (e.g. `WORKER_CONCURRENCY`). */
  env?: Record<string, string>;
  /** Extra node flags per role, e.g. `{ "agent-worker": ["--cpu-prof", "--cpu-prof-dir=…"] }`. */
  nodeArgs?: Partial<Record<ServiceRole, string[]>>;
  natsUrl?: string;
  /** How long gateways may take to answer `/readyz` 200. */
  readyTimeoutMs?: number;
  /**
   * Tracing on, every service sampling new traces at this ratio (`parentbased_traceidratio`) and
   * exporting over OTLP/HTTP to a local sink that counts the spans and discards them. Absent:
   * tracing off (`OTEL_TRACES_EXPORTER=none`, whatever the shell's OTEL_* say).
   */
  traceRatio?: number;
}

/** What a traced deployment exported (`DeploymentOptions.traceRatio`). */
export interface DeploymentTracing {
  ratio: number;
  /** Spans the sink received so far (services export in batches, the rest when they stop). */
  spans(): number;
  /** The same by `service.name` (gateway, agent-worker, exchange). */
  spansByService(): Readonly<Record<string, number>>;
}

export interface Deployment {
  /** The STREAM_PREFIX of this deployment. */
  readonly prefix: string;
  /** Its SUBJECT_PREFIX: a client on `natsUrl` with this prefix reaches its services (e.g. the exchange). */
  readonly subjectPrefix: string;
  readonly natsUrl: string;
  /** Its own database (dropped by `stop()`), e.g. to audit the books after a run. */
  readonly databaseUrl: string;
  /** `http://127.0.0.1:<port>` of each gateway. */
  readonly gatewayUrls: readonly string[];
  /** `http://127.0.0.1:<port>/metrics` of each gateway, in the order of `gatewayUrls`. */
  readonly metricsUrls: readonly string[];
  /** Folder of the services' logs (one file per process). */
  readonly logDir: string;
  /** Present when started with `traceRatio`. */
  readonly tracing?: DeploymentTracing;
  /** Every service process, for CPU accounting (`proc-cpu.ts`). */
  processes(): { name: string; pid: number | undefined }[];
  /** Services that exited while the deployment was meant to be up, as "name (code)". */
  unexpectedExits(): string[];
  /** Starts one more service (e.g. a `market-feed` once the early phases are measured). */
  startService(role: ServiceRole, name: string, env?: Record<string, string>): void;
  /** SIGTERM to one service by name (it drains), SIGKILL after `timeoutMs`; resolves once it exited. */
  stopService(name: string, timeoutMs?: number): Promise<void>;
  /**
   * SIGTERM to every service (they drain), SIGKILL after `timeoutMs`, then deletes the
   * deployment's JetStream streams (with their consumers) and KV buckets and its database.
   */
  stop(timeoutMs?: number): Promise<void>;
}

interface Service {
  name: string;
  process: ServiceProcess;
  /** Stopped on purpose (`stopService`): its exit is not unexpected. */
  stopped?: boolean;
}

/**
 * A distributed deployment of its own for one benchmark, as child processes started like
 * `infra/local/dist-up.sh` and the container image do: compiled first (`npm run build`, which is
 * incremental), then `node dist/services/<role>/main.js`, with no TypeScript loader in the
 * process (tsx's helpers cost a measurable share of CPU at hundreds of runs a second): gateways on free
 * ports, agent workers and exchanges (one by default), on the local NATS/Redis/PostgreSQL. A random prefix
 * isolates its streams, subjects and database from every other deployment on the machine. The
 * offline model streams at zero token delay and services log at `warn`, so the benchmark
 * measures the platform, not the model or the logger.
 */
export async function startDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const id = randomBytes(4).toString("hex");
  const prefix = `LT_${id}_`;
  const natsUrl = options.natsUrl ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const logDir = join(tmpdir(), `epl-loadtest-${id}`);
  await mkdir(logDir, { recursive: true });
  const database = await createTempDatabase();
  const sink = options.traceRatio === undefined ? undefined : await startOtlpReceiver({ keep: false });
  const subjectPrefix = `lt${id}.`;
  const base: Record<string, string> = {
    NATS_URL: natsUrl,
    DATABASE_URL: database.url,
    STREAM_PREFIX: prefix,
    SUBJECT_PREFIX: subjectPrefix,
    LOG_LEVEL: "warn",
    // Gateways refuse the built-in secret; benchmarks mint their users' tokens from the gateways.
    JWT_SECRET: `lt-${randomBytes(16).toString("hex")}`,
    DEV_TOKENS: "true",
    METRICS_PORT: "0",
    OFFLINE_TOKEN_DELAY_MS: "0",
    ANTHROPIC_API_KEY: "",
    HOST: "127.0.0.1",
    ...(sink === undefined ? { OTEL_TRACES_EXPORTER: "none" } : tracingEnv(sink.url, options.traceRatio!)),
    ...options.env,
  };
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: repoRoot, stdio: "ignore" });
  const services: Service[] = [];
  let stopping = false;
  const launch = (role: ServiceRole, name: string, env: Record<string, string> = {}) => {
    const started = spawnService(role, {
      env: { ...base, ...env },
      compiled: true,
      nodeArgs: options.nodeArgs?.[role],
      logFile: join(logDir, `${name}.log`),
    });
    services.push({ name, process: started });
  };

  const deployment: Deployment = {
    prefix,
    subjectPrefix,
    natsUrl,
    databaseUrl: database.url,
    gatewayUrls: [],
    metricsUrls: [],
    logDir,
    ...(sink === undefined
      ? {}
      : {
          tracing: {
            ratio: options.traceRatio!,
            spans: () => sink.count,
            spansByService: () => ({ ...sink.countByService }),
          },
        }),
    processes: () =>
      services.filter((s) => !s.stopped).map((s) => ({ name: s.name, pid: s.process.child.pid })),
    unexpectedExits: () =>
      stopping
        ? []
        : services
            .filter((s) => s.process.child.exitCode !== null || s.process.child.signalCode !== null)
            .filter((s) => !s.stopped)
            .map((s) => `${s.name} (${s.process.child.signalCode ?? s.process.child.exitCode})`),
    startService: launch,
    async stopService(name, timeoutMs = 10_000) {
      const service = services.find((s) => s.name === name);
      if (!service) throw new Error(`no service ${name}`);
      service.stopped = true;
      service.process.kill("SIGTERM");
      const timer = setTimeout(() => service.process.kill("SIGKILL"), timeoutMs);
      await service.process.exited;
      clearTimeout(timer);
    },
    async stop(timeoutMs = 10_000) {
      stopping = true;
      for (const s of services) s.process.kill("SIGTERM");
      const deadline = sleep(timeoutMs);
      await Promise.all(
        services.map(async (s) => {
          await Promise.race([s.process.exited, deadline]);
          s.process.kill("SIGKILL");
          await s.process.exited;
        }),
      );
      await deleteStreams(prefix, natsUrl);
      await database.drop();
      // After the services stopped: each flushed its last spans on the way out.
      await sink?.close();
    },
  };

  try {
    for (let i = 1; i <= (options.exchanges ?? 1); i++) launch("exchange", `exchange-${i}`);
    for (let i = 1; i <= (options.workers ?? 2); i++) launch("agent-worker", `worker-${i}`);
    const urls: string[] = [];
    const metricsUrls: string[] = [];
    for (let i = 1; i <= (options.gateways ?? 2); i++) {
      const port = await freePort();
      const metricsPort = await freePort();
      launch("gateway", `gateway-${i}`, {
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        GATEWAY_ID: `gateway-${i}`,
      });
      urls.push(`http://127.0.0.1:${port}`);
      metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
    }
    await Promise.all(urls.map((url) => waitReady(url, options.readyTimeoutMs ?? 30_000, deployment)));
    (deployment.gatewayUrls as string[]).push(...urls);
    (deployment.metricsUrls as string[]).push(...metricsUrls);
    return deployment;
  } catch (err) {
    const logs = services.map((s) => `--- ${s.name}\n${tail(s.process.output(), 2000)}`).join("\n");
    await deployment.stop();
    throw new Error(`deployment did not start: ${(err as Error).message}\n${logs}`);
  }
}

/**
 * The standard OpenTelemetry variables of a traced service (docs/architecture.md "Tracing"): the
 * root sampling decision is each gateway's (a client's run or trade arrives without `traceparent`),
 * every later hop follows it.
 */
function tracingEnv(endpoint: string, ratio: number): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: String(ratio),
  };
}

/** `--trace-ratio`: a number in (0, 1], or undefined (tracing off) when the flag is absent. */
export function parseTraceRatio(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const ratio = Number(flag);
  if (!(ratio > 0 && ratio <= 1)) throw new Error("--trace-ratio must be a number in (0, 1], e.g. 0.1");
  return ratio;
}

/** The JSON record of a run's tracing: off, or the ratio and the spans received. */
export function tracingRecord(
  deployment: Deployment | undefined,
): { ratio: number; spans: number; byService: Record<string, number> } | "off" {
  const tracing = deployment?.tracing;
  if (tracing === undefined) return "off";
  return { ratio: tracing.ratio, spans: tracing.spans(), byService: { ...tracing.spansByService() } };
}

async function waitReady(url: string, timeoutMs: number, deployment: Deployment): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = deployment.unexpectedExits();
    if (dead.length > 0) throw new Error(`exited while starting: ${dead.join(", ")}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error(`${url}/readyz not 200 within ${timeoutMs} ms`);
}
