import { createTempDatabase } from "../../shared/store/temp-database.js";
import {
  createDeployment,
  type Deployment,
  type ServiceName,
  type ServiceProcess,
} from "../support/deployment.js";
import {
  type OwnedNatsNode,
  type OwnedPostgres,
  type OwnedServer,
  startNatsCluster,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
} from "../support/owned-servers.js";
import { pause } from "../support/polling.js";
import { freePort } from "../support/service-process.js";

/**
 * The deployment the fault suite breaks: its own nats-server, PostgreSQL cluster and redis-server
 * (owned-servers.ts), and real service processes on them, each in a slot. The suite acts as the
 * supervisor: it kills a slot's process and starts it again with the same environment (a gateway
 * on the same port, as behind a load balancer). A process that exits without being killed is
 * recorded and restarted too, so the rest of the suite still runs and the report says what died.
 */
export interface Slot {
  readonly label: string;
  readonly name: ServiceName;
  readonly env: Record<string, string>;
  process: ServiceProcess;
  /** Base URL of a gateway (`http://127.0.0.1:port`). */
  readonly url?: string;
}

export interface UnexpectedExit {
  label: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** The end of its output: why it died. */
  tail: string;
}

export interface FaultDeployment {
  /** The whole NATS: one server, or every node of the cluster at once. */
  readonly nats: OwnedServer;
  /** Each node of the cluster (`natsNodes` > 1), to kill one; empty on a single server. */
  readonly natsNodes: readonly OwnedNatsNode[];
  readonly postgres: OwnedPostgres;
  readonly redis: OwnedServer;
  readonly deployment: Deployment;
  readonly databaseUrl: string;
  readonly gateways: readonly Slot[];
  readonly workers: readonly Slot[];
  readonly exchange: Slot;
  readonly feeds: readonly Slot[];
  readonly unexpectedExits: readonly UnexpectedExit[];
  /** Everything each process printed (`label#n`: the slot's n-th process), for a failure's post-mortem. */
  logs(): { name: string; output: string }[];
  /** SIGKILL, as a crash: resolves once the process is gone. */
  kill(slot: Slot): Promise<void>;
  /** Starts the slot's process again; resolves once it is ready (its readiness line). */
  restart(slot: Slot): Promise<void>;
  stop(): Promise<void>;
}

export interface FaultDeploymentOptions {
  /** Environment of every service process (on top of the servers' URLs). */
  env: Record<string, string>;
  /** Extra environment per service. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** nats-servers: 1 (the default), or a JetStream cluster with NATS_REPLICAS as many. */
  natsNodes?: number;
  gateways: number;
  workers: number;
  feeds: number;
  readyTimeoutMs: number;
}

export async function startFaultDeployment(options: FaultDeploymentOptions): Promise<FaultDeployment> {
  const natsNodes = options.natsNodes ?? 1;
  const [cluster, postgres, redis] = await Promise.all([
    natsNodes === 1
      ? startNatsServer().then((server) => ({ ...server, nodes: [] }))
      : startNatsCluster(natsNodes),
    startPostgresServer(),
    startRedisServer(),
  ]);
  const nats: OwnedServer = cluster;
  const database = await createTempDatabase(postgres.url);
  // The test holds no connection to the cluster while faults run (its own driver would see them).
  await database.admin.end({ timeout: 1 });
  const deployment = createDeployment(
    {
      ...options.env,
      NATS_URL: nats.url,
      NATS_REPLICAS: String(natsNodes),
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
    },
    { readyTimeoutMs: options.readyTimeoutMs },
  );
  const unexpectedExits: UnexpectedExit[] = [];
  const started: { name: string; process: ServiceProcess }[] = [];
  const startIn = async (slot: Slot) => {
    slot.process = await deployment.start(slot.name, slot.env);
    started.push({
      name: `${slot.label}#${started.filter((p) => p.name.startsWith(`${slot.label}#`)).length}`,
      process: slot.process,
    });
    watch(slot);
  };
  const killing = new Set<Slot>();
  let stopping = false;

  const watch = (slot: Slot) => {
    const running = slot.process;
    void running.exited.then(() => {
      if (stopping || killing.has(slot) || slot.process !== running) return;
      unexpectedExits.push({
        label: slot.label,
        code: running.child.exitCode,
        signal: running.child.signalCode,
        at: Date.now(),
        tail: running.output().slice(-3000),
      });
      // The supervisor restarts it so the suite goes on; the exit itself fails the suite.
      void superviseRestart(slot);
    });
  };
  /** Restarts until the process comes up, with backoff, recording each start that died. */
  const superviseRestart = async (slot: Slot) => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await restart(slot);
        return;
      } catch (err) {
        if (stopping) return;
        unexpectedExits.push({
          label: slot.label,
          code: null,
          signal: null,
          at: Date.now(),
          tail: String(err),
        });
        await pause(Math.min(500 * 2 ** attempt, 5000));
      }
    }
  };
  const start = async (label: string, name: ServiceName, env: Record<string, string> = {}) => {
    const slot = { label, name, env: { ...options.serviceEnv?.[name], ...env } } as Slot;
    await startIn(slot);
    return slot;
  };
  const restart = (slot: Slot) => startIn(slot);

  // The exchange first: it applies the migrations and opens the markets everyone else reads.
  const exchange = await start("exchange", "exchange");
  const ports = await Promise.all(Array.from({ length: options.gateways }, () => freePort()));
  const gateways = await Promise.all(
    ports.map(async (port, i) => {
      const slot = await start(`gateway-${i}`, "gateway", { PORT: String(port) });
      return Object.assign(slot, { url: `http://127.0.0.1:${port}` });
    }),
  );
  const workers = await Promise.all(
    Array.from({ length: options.workers }, (_, i) => start(`agent-worker-${i}`, "agent-worker")),
  );
  const feeds = await Promise.all(
    Array.from({ length: options.feeds }, (_, i) => start(`market-feed-${i}`, "market-feed")),
  );

  return {
    nats,
    natsNodes: cluster.nodes,
    postgres,
    redis,
    deployment,
    databaseUrl: database.url,
    gateways,
    workers,
    exchange,
    feeds,
    unexpectedExits,
    logs: () => started.map(({ name, process }) => ({ name, output: process.output() })),
    async kill(slot) {
      killing.add(slot);
      try {
        slot.process.kill("SIGKILL");
        await slot.process.exited;
      } finally {
        killing.delete(slot);
      }
    },
    restart,
    async stop() {
      stopping = true;
      await deployment.stop().catch(() => {});
      await Promise.all([nats.stop(), postgres.stop(), redis.stop()]);
    },
  };
}
