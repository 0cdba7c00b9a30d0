import { readFileSync } from "node:fs";
import { cpuMs } from "../lib/proc-cpu.js";

/**
 * CPU and memory of every process of a step, from /proc, summed by kind. The deployment's own
 * processes are its alone; nats-server and redis-server serve the whole machine, so theirs are
 * upper bounds of the test's share; PostgreSQL is counted as the backends connected to the
 * deployment's database (the WAL writer and checkpointer, shared with the machine, are not).
 */
export type ProcessKind =
  | "gateway"
  | "agent-worker"
  | "exchange"
  | "market-feed"
  | "nats-server"
  | "redis"
  | "postgres"
  | "load-client";

export const serverKinds: readonly ProcessKind[] = [
  "gateway",
  "agent-worker",
  "exchange",
  "market-feed",
  "nats-server",
  "redis",
  "postgres",
];

export interface WatchedProcess {
  name: string;
  pid: number | undefined;
  kind: ProcessKind;
}

/** The kind of a deployment process by its name (`gateway-1`, `worker-2`, `exchange-1`, `feed-1`). */
export function kindOfService(name: string): ProcessKind {
  if (name.startsWith("gateway")) return "gateway";
  if (name.startsWith("worker")) return "agent-worker";
  if (name.startsWith("exchange")) return "exchange";
  if (name.startsWith("feed")) return "market-feed";
  throw new Error(`no kind for process ${name}`);
}

/**
 * Resident memory of a process in bytes that is its own: `VmRSS` less `RssShmem`, so a PostgreSQL
 * backend is not charged the shared buffers every backend maps; NaN when it is gone.
 */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return (kb("VmRSS") - (kb("RssShmem") || 0)) * 1024;
  } catch {
    return Number.NaN;
  }
}

export interface ProcessUsage {
  name: string;
  kind: ProcessKind;
  /** Cores busy over the window: CPU ms / wall ms. */
  cores: number;
  rssBytes: number;
}

/**
 * Starts a window over `processes()` (read again at the end: PostgreSQL backends come and go);
 * `end()` gives each process's cores over the window and its RSS at the end. A process seen only
 * at the end counts from its start (its whole CPU), one gone by the end not at all.
 */
export function startWindow(processes: () => WatchedProcess[]): { end(): ProcessUsage[] } {
  const startedAt = performance.now();
  const before = new Map(processes().map((p) => [p.pid, p.pid === undefined ? Number.NaN : cpuMs(p.pid)]));
  return {
    end() {
      const wallMs = performance.now() - startedAt;
      return processes()
        .filter((p): p is WatchedProcess & { pid: number } => p.pid !== undefined)
        .map((p) => {
          const cpu = cpuMs(p.pid) - (before.get(p.pid) ?? 0);
          return { name: p.name, kind: p.kind, cores: cpu / wallMs, rssBytes: rssBytes(p.pid) };
        })
        .filter((u) => Number.isFinite(u.cores));
    },
  };
}

/** Cores and RSS summed by kind. */
export function byKind(
  usage: readonly ProcessUsage[],
): Record<string, { cores: number; rssBytes: number; processes: number }> {
  const out: Record<string, { cores: number; rssBytes: number; processes: number }> = {};
  for (const u of usage) {
    const sum = out[u.kind] ?? { cores: 0, rssBytes: 0, processes: 0 };
    out[u.kind] = sum;
    sum.cores += u.cores;
    sum.rssBytes += Number.isFinite(u.rssBytes) ? u.rssBytes : 0;
    sum.processes += 1;
  }
  return out;
}
