import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { until } from "./polling.js";
import { freePort } from "./service-process.js";

/**
 * Servers a test owns for faults the machine's shared services must never suffer (kill -9, an
 * immediate PostgreSQL stop): each on a free port with a temporary data folder, started, killed
 * and restarted on the same port and data by the test, and deleted by `stop()`.
 */
export interface OwnedServer {
  /** Connection URL (`nats://`, `postgres://`, `redis://`) on 127.0.0.1. */
  readonly url: string;
  readonly port: number;
  /** Sends `signal` to the server and waits until it has exited (a crash with SIGKILL). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Stops it (gracefully) and deletes its data. */
  stop(): Promise<void>;
}

export interface OwnedPostgres extends OwnedServer {
  /** `pg_ctl stop -m immediate`: every backend dies at once without a checkpoint, as in a crash. */
  crash(): Promise<void>;
}

const startTimeoutMs = 20_000;

/** `nats-server` with JetStream on a free port and a temporary store. */
export async function startNatsServer(): Promise<OwnedServer> {
  const { node, start } = natsNode("nats-server", await freePort(), [], async (url) => {
    await (await connect({ servers: url, reconnect: false })).close();
  });
  await start();
  return node;
}

export interface OwnedNatsNode extends OwnedServer {
  /** Its `server_name`, as JetStream names a stream's leader and replicas. */
  readonly name: string;
}

/**
 * A JetStream cluster of nats-servers on free ports, routed to each other. `url` lists every node
 * (as NATS_URL does), so a client fails over; `kill` and `restart` act on every node at once (a
 * whole-NATS loss); a node's own handle kills just that one.
 */
export interface OwnedNatsCluster extends OwnedServer {
  readonly nodes: readonly OwnedNatsNode[];
}

/**
 * `size` nats-servers with JetStream, each with its own store, routed as a cluster on spare
 * ports (the local counterpart of infra/nats). Resolves once each node answers JetStream
 * requests, i.e. the cluster has elected its meta leader.
 */
export async function startNatsCluster(size: number): Promise<OwnedNatsCluster> {
  const clusterName = `owned-${Math.random().toString(36).slice(2, 8)}`;
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const clientPorts = ports.slice(0, size);
  const routePorts = ports.slice(size);
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes = clientPorts.map((port, i) =>
    natsNode(
      `${clusterName}-${i}`,
      port,
      ["--cluster_name", clusterName, "--cluster", `nats://127.0.0.1:${routePorts[i]}`, "--routes", routes],
      jetStreamAnswers,
    ),
  );
  // Together: no node answers JetStream requests before a quorum of them is up.
  await Promise.all(nodes.map((n) => n.start()));
  const all = nodes.map((n) => n.node);
  await placesReplicas(all.map((n) => n.url).join(","), size);
  return {
    url: all.map((n) => n.url).join(","),
    port: all[0]!.port,
    nodes: all,
    async kill(signal) {
      await Promise.all(all.map((n) => n.kill(signal)));
    },
    async restart() {
      await Promise.all(all.map((n) => n.restart()));
    },
    async stop() {
      await Promise.all(all.map((n) => n.stop()));
    },
  };
}

/**
 * One nats-server with JetStream named `name` on `port` with a store of its own (deleted by
 * `stop`), plus `args`; `start` resolves once `ready` does against its URL.
 */
function natsNode(
  name: string,
  port: number,
  args: string[],
  ready: (url: string) => Promise<void>,
): { node: OwnedNatsNode; start: () => Promise<void> } {
  const storeDir = mkdtempSync(join(tmpdir(), "owned-nats-"));
  const url = `nats://127.0.0.1:${port}`;
  const base = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, "--server_name", name];
  const server = ownedProcess(
    name,
    () => spawn("/usr/sbin/nats-server", [...base, ...args]),
    () => ready(url),
  );
  const node: OwnedNatsNode = {
    name,
    url,
    port,
    kill: server.kill,
    restart: server.start,
    async stop() {
      await server.kill("SIGTERM");
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return { node, start: server.start };
}

/** Resolves when the server at `url` answers a JetStream account-info request. */
async function jetStreamAnswers(url: string): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    await (await jetstreamManager(nc, { timeout: 1000 })).getAccountInfo();
  } finally {
    await nc.close();
  }
}

/**
 * Resolves once the cluster at `url` can place a stream on all `size` nodes. Every node answering
 * JetStream is not enough: the meta leader may not know every peer yet, and a stream of `size`
 * replicas asked for then is refused, which a test creating one at once would take for its own
 * failure.
 */
async function placesReplicas(url: string, size: number): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1000 });
    const name = `OWNED_READY_${Math.random().toString(36).slice(2, 8)}`;
    const config = { name, subjects: [`${name}.probe`], num_replicas: size, storage: StorageType.Memory };
    await until(
      () =>
        jsm.streams.add(config).then(
          () => true,
          () => false,
        ),
      20_000,
      `a stream on all ${size} nodes of the cluster`,
    );
    await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

/** `redis-server` on a free port, keeping nothing on disk (as the machine's own). */
export async function startRedisServer(): Promise<OwnedServer> {
  const dir = mkdtempSync(join(tmpdir(), "owned-redis-"));
  const port = await freePort();
  const server = ownedProcess(
    "redis-server",
    () =>
      spawn("redis-server", [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ]),
    () => redisPing(port),
  );
  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: server.kill,
    restart: server.start,
    async stop() {
      await server.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL cluster of its own: `initdb` (trust auth, user `postgres`) in a temporary folder,
 * the postmaster run as the `postgres` OS user (PostgreSQL refuses to run as root), fsync on as
 * in production so a crash test means what it says. The URL names the `postgres` database.
 * `settings` are passed as `-c name=value` (e.g. `wal_level`).
 */
export async function startPostgresServer(
  options: { settings?: Record<string, string> } = {},
): Promise<OwnedPostgres> {
  const dir = ownedPostgresDir();
  const dataDir = join(dir, "data");
  await finished(
    asPostgres(join(postgresBin(), "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]),
    "initdb",
  );
  return runOwnedPostgres(dir, dataDir, options.settings ?? {});
}

/**
 * A hot standby of `primary` (which must allow replication: PostgreSQL 15's defaults and initdb's
 * trust entries do): `pg_basebackup -R` into a folder of its own, then started on a free port,
 * streaming the primary's WAL from then on.
 */
export async function startPostgresStandby(primary: OwnedServer): Promise<OwnedPostgres> {
  const dir = ownedPostgresDir();
  const dataDir = join(dir, "data");
  await finished(
    asPostgres(join(postgresBin(), "pg_basebackup"), [
      "-h",
      "127.0.0.1",
      "-p",
      String(primary.port),
      "-U",
      "postgres",
      "-D",
      dataDir,
      "-R",
      "-X",
      "stream",
      "--no-sync",
    ]),
    "pg_basebackup",
  );
  return runOwnedPostgres(dir, dataDir, { hot_standby: "on" });
}

export function postgresBin(): string {
  return execFileSync("pg_config", ["--bindir"]).toString().trim();
}

/** A temporary folder the `postgres` OS user owns. */
export function ownedPostgresDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "owned-pg-"));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) chownSync(dir, uidOf("postgres"), gidOf("postgres"));
  return dir;
}

/** Runs `command` as the `postgres` OS user (when this process is root; as itself otherwise). */
export function asPostgres(command: string, args: string[]): ChildProcess {
  return process.getuid?.() === 0
    ? spawn("runuser", ["-u", "postgres", "--", command, ...args])
    : spawn(command, args);
}

/**
 * Starts the postmaster on `dataDir` (inside `dir`, an `ownedPostgresDir()`) on a free port; `stop()`
 * deletes `dir`.
 */
export async function runOwnedPostgres(
  dir: string,
  dataDir: string,
  settings: Record<string, string>,
): Promise<OwnedPostgres> {
  const port = await freePort();
  const server = ownedProcess(
    "postgres",
    () =>
      asPostgres(join(postgresBin(), "postgres"), [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${dir}`,
        "-c",
        "max_connections=200",
        ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
      ]),
    () => postgresReady(port),
  );
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    kill: server.kill,
    restart: server.start,
    async crash() {
      await finished(
        asPostgres(join(postgresBin(), "pg_ctl"), ["stop", "-D", dataDir, "-m", "immediate", "-w"]),
        "pg_ctl",
      );
      await server.exited();
    },
    async stop() {
      await server.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One server process: started until `ready` answers, killed and waited for. */
function ownedProcess(name: string, spawnIt: () => ChildProcess, ready: () => Promise<void>) {
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();
  let output = "";

  async function start() {
    output = "";
    const running = spawnIt();
    child = running;
    running.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    running.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    exit = new Promise((resolve) => running.once("exit", () => resolve()));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      try {
        await ready();
        return;
      } catch (err) {
        if (running.exitCode !== null || running.signalCode !== null) {
          throw new Error(`${name} exited at start:\n${output.slice(-2000)}`);
        }
        if (Date.now() > deadline) throw new Error(`${name} not ready in ${startTimeoutMs} ms: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function kill(signal: NodeJS.Signals) {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill(signal);
    await exit;
  }

  return { start, kill, exited: () => exit };
}

/** Resolves when `child` exits 0; rejects with its output otherwise. */
export function finished(child: ChildProcess, what: string): Promise<void> {
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited ${code}:\n${output}`)),
    ),
  );
}

/** Resolves when PostgreSQL accepts a connection and answers a query. */
async function postgresReady(port: number): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    await sql`SELECT 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Resolves when Redis answers PING with PONG. */
function redisPing(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setTimeout(1000, () => socket.destroy(new Error("redis ping timed out")));
    socket.once("error", reject);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.end();
      if (data.toString().startsWith("+PONG")) resolve();
      else reject(new Error(`redis answered ${data.toString().trim()}`));
    });
  });
}

/**
 * Spawn options that run a child directly as the `postgres` OS user when this process is root, so
 * that signals sent to the child reach the PostgreSQL program itself (not a `runuser` in between).
 */
export function asPostgresUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: uidOf("postgres"), gid: gidOf("postgres") } : {};
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user]).toString().trim());
}

function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user]).toString().trim());
}
