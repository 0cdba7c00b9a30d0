import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/**
 * The one way tests and benchmarks start a service as a process of its own, and clean up the
 * JetStream state a deployment made. The tests' deployments (`deployment.ts`) run the sources
 * under tsx with the output held in memory; the benchmarks' (`loadtest/lib/deployment.ts`) run
 * the compiled `dist/` with the output in a file, so neither a TypeScript loader nor a pipe to
 * the parent costs CPU in what they measure.
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

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
  /** Resolves when a log line matching `pattern` has been printed; rejects if it exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** `dist/services/<name>/main.js` (built by `scripts/build.mjs`) instead of the sources under tsx. */
  compiled?: boolean;
  /** Node flags before the entry point, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Output straight to this file (appended) instead of a pipe read into memory. */
  logFile?: string;
}

/** How often a process whose output goes to a file is read while something waits for a line. */
const logFilePollMs = 100;

export function spawnService(name: ServiceName, options: SpawnOptions): ServiceProcess {
  const entry = options.compiled
    ? [`dist/services/${name}/main.js`]
    : ["--import", "tsx", `services/${name}/main.ts`];
  const fd = options.logFile === undefined ? undefined : openSync(options.logFile, "a");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: fd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const output = () => (options.logFile === undefined ? text : readLog(options.logFile));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    child,
    output,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    // A start on a machine busy with other suites (the exchange opens every market) has been
    // seen past 15 s: this waits for readiness, it times nothing.
    waitFor(pattern, timeoutMs = 40_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output())) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; output:\n${tail(output())}`),
          );
        }, timeoutMs);
        const poll = options.logFile === undefined ? undefined : setInterval(check, logFilePollMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${name} exited before printing ${pattern}; output:\n${tail(output())}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          clearInterval(poll);
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

function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export function tail(text: string, chars = 4000): string {
  return text.slice(-chars);
}

/** Deletes every JetStream stream (and so its consumers) and KV bucket whose name starts with `prefix`. */
export async function deleteStreams(prefix: string, natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl.split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/** A port nothing listens on right now (the OS picks it; a race with other binders is unlikely). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
