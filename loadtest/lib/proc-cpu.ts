import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const ticksPerS = 100;

/**
 * CPU time (user + system, ms) a process has used so far, from /proc; NaN when the process is
 * gone or /proc is missing (not Linux). The difference of two readings is that process's share
 * of a phase, which on a shared machine says more than wall-clock latency alone.
 */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerS;
  } catch {
    return Number.NaN;
  }
}

/** CPU ms used by each named process between two `sampleCpu` readings. */
export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.keys(after).map((name) => [name, after[name]! - (before[name] ?? Number.NaN)]),
  );
}

export function sampleCpu(
  processes: readonly { name: string; pid: number | undefined }[],
): Record<string, number> {
  return Object.fromEntries(processes.map((p) => [p.name, p.pid === undefined ? Number.NaN : cpuMs(p.pid)]));
}

/**
 * The pid of the nats-server that listens on `natsUrl`'s port, when it runs on this machine
 * (undefined otherwise). It serves everything on the machine that uses NATS, so its CPU in a
 * phase is an upper bound of the benchmark's share.
 */
export function natsServerPid(natsUrl: string): number | undefined {
  return localServerPid("nats-server", new URL(natsUrl).port || "4222");
}

/** The pid of the redis-server on `redisUrl`'s port when it runs here: an upper bound, as above. */
export function redisServerPid(redisUrl: string): number | undefined {
  return localServerPid("redis-server", new URL(redisUrl).port || "6379");
}

/** A local server process by program name whose command line names `port` (`4222`, `127.0.0.1:6379`). */
function localServerPid(program: string, port: string): number | undefined {
  try {
    const pids = execFileSync("pidof", [program], { encoding: "utf8" }).trim().split(" ").map(Number);
    return pids.find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .split(/[\0 ]/)
        .some((arg) => arg === port || arg.endsWith(`:${port}`)),
    );
  } catch {
    return undefined;
  }
}
