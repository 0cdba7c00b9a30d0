import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pause, until } from "../support/polling.js";

// The local deployment is crash-only (infra/local/supervise.sh): a service that exits is started
// again with backoff and each restart is logged; `make dist-down` (infra/local/dist-down.sh) stops
// the supervisors before it drains the services, so nothing comes back after it.

const root = fileURLToPath(new URL("../../", import.meta.url));
const supervise = join(root, "infra/local/supervise.sh");
const distDown = join(root, "infra/local/dist-down.sh");

interface Restart {
  at: number;
  how: string;
  afterS: number;
  count: number;
  delayS: number;
}

/** The supervisor's lines: `<ISO time> supervise: NAME exited (HOW) after Xs; restart N in Ys`. */
function restarts(dir: string, name = "svc"): Restart[] {
  const path = join(dir, "supervisor.log");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const m =
        /^(\S+) supervise: (\S+) exited \(([^)]+)\) after ([\d.]+)s; restart (\d+) in ([\d.]+)s$/.exec(line);
      assert.ok(m, `not a supervisor line: ${line}`);
      assert.equal(m[2], name);
      return {
        at: Date.parse(m[1]!),
        how: m[3]!,
        afterS: Number(m[4]),
        count: Number(m[5]),
        delayS: Number(m[6]),
      };
    });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const readPid = (path: string) => Number(readFileSync(path, "utf8").trim());
const serviceLog = (dir: string) => readFileSync(join(dir, "svc.log"), "utf8");
const count = (text: string, line: string) => text.split("\n").filter((l) => l === line).length;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function startSupervised(command: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "supervise-"));
  const supervisor: ChildProcess = spawn("bash", [supervise, "svc", dir, "--", ...command], {
    cwd: dir,
    env: { ...process.env, SUPERVISE_RESET_AFTER_MS: "60000", ...env },
    stdio: "ignore",
  });
  const exited = () =>
    until(
      () => supervisor.exitCode !== null || supervisor.signalCode !== null,
      6000,
      "the supervisor to exit",
    );
  cleanups.push(() => {
    for (const file of ["svc.pid", "svc.supervisor-pid"]) {
      const path = join(dir, file);
      if (existsSync(path)) {
        try {
          process.kill(readPid(path), "SIGKILL");
        } catch {}
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, supervisor, exited };
}

async function runDistDown(dir: string, env: Record<string, string> = {}) {
  return promisify(execFile)("bash", [distDown], { env: { ...process.env, RUN_DIR: dir, ...env } });
}

describe("supervise.sh", () => {
  test("a service that exits is started again after doubling delays up to the cap, each restart logged", async () => {
    const { dir } = startSupervised(["sh", "-c", "echo run; exit 3"], {
      SUPERVISE_MIN_DELAY_MS: "100",
      SUPERVISE_MAX_DELAY_MS: "400",
    });
    await until(() => restarts(dir).length >= 5, 15_000, "five restarts");
    const seen = restarts(dir).slice(0, 5);
    assert.deepEqual(
      seen.map((r) => r.how),
      Array(5).fill("code 3"),
    );
    assert.deepEqual(
      seen.map((r) => r.count),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      seen.map((r) => r.delayS),
      [0.1, 0.2, 0.4, 0.4, 0.4],
    );
    // Each delay is really waited: the next exit comes no sooner (the clock has 1 ms steps).
    for (let i = 1; i < seen.length; i++) {
      assert.ok(
        seen[i]!.at - seen[i - 1]!.at >= seen[i - 1]!.delayS * 1000 - 1,
        `gap before restart ${i + 1}`,
      );
    }
    // The service's own output and the restart lines share its log, crash next to restart.
    const log = serviceLog(dir);
    assert.ok(count(log, "run") >= 5);
    assert.match(log, /^run\n\S+ supervise: svc exited \(code 3\) after [\d.]+s; restart 1 in 0\.1s\nrun\n/);
  });

  test("a death by signal is named, and a run that outlived the reset time starts the backoff over", async () => {
    // Runs 1, 2 and 4 fail at once; run 3 lives 0.8 s (past the 0.5 s reset) and is killed.
    const script = [
      "n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count",
      'if [ "$n" -eq 3 ]; then sleep 0.8; kill -KILL $$; fi',
      'if [ "$n" -ge 5 ]; then exec sleep 60; fi',
      "exit 1",
    ].join("\n");
    const { dir } = startSupervised(["sh", "-c", script], {
      SUPERVISE_MIN_DELAY_MS: "100",
      SUPERVISE_MAX_DELAY_MS: "5000",
      SUPERVISE_RESET_AFTER_MS: "500",
    });
    await until(() => restarts(dir).length >= 4, 15_000, "four restarts");
    const seen = restarts(dir);
    assert.deepEqual(
      seen.map((r) => [r.how, r.delayS]),
      [
        ["code 1", 0.1],
        ["code 1", 0.2],
        ["signal KILL", 0.1],
        ["code 1", 0.2],
      ],
    );
    assert.ok(seen[2]!.afterS >= 0.8, `the killed run lasted ${seen[2]!.afterS}s`);
    // The fifth run stays up, and the pid file names it.
    await until(() => readFileSync(join(dir, "count"), "utf8").trim() === "5", 15_000, "the fifth run");
    await until(() => alive(readPid(join(dir, "svc.pid"))), 15_000, "the pid file naming the fifth run");
  });
});

describe("dist-down.sh", () => {
  const drainingService = [
    process.execPath,
    "-e",
    "process.on('SIGTERM', () => { console.log('drained'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);",
  ];

  test("stops the supervisor first, then drains the service: nothing starts it again", async () => {
    const {
      dir,
      supervisor: supervisorProcess,
      exited,
    } = startSupervised(drainingService, {
      SUPERVISE_MIN_DELAY_MS: "100",
      SUPERVISE_MAX_DELAY_MS: "100",
    });
    await until(
      () => existsSync(join(dir, "svc.log")) && count(serviceLog(dir), "up") === 1,
      15_000,
      "the service",
    );
    const service = readPid(join(dir, "svc.pid"));
    const supervisor = readPid(join(dir, "svc.supervisor-pid"));

    const { stdout } = await runDistDown(dir);
    assert.match(stdout, /stopped 1 supervisors and 1 services/);
    await exited();
    assert.equal(supervisorProcess.exitCode, 0, "the supervisor exited on its own");
    assert.ok(!alive(supervisor) && !alive(service));
    assert.ok(!existsSync(join(dir, "svc.pid")) && !existsSync(join(dir, "svc.supervisor-pid")));
    // A restart would come 0.1 s after the exit; give it ten times that to show none comes.
    await pause(1000);
    const log = serviceLog(dir);
    assert.equal(count(log, "drained"), 1, "the service got SIGTERM and drained");
    assert.equal(count(log, "up"), 1, `the service was started again:\n${log}`);
    assert.deepEqual(restarts(dir), []);
  });

  test("a supervisor waiting out its backoff stops at once", async () => {
    const { dir, supervisor, exited } = startSupervised(["sh", "-c", "echo run; exit 1"], {
      SUPERVISE_MIN_DELAY_MS: "20000",
    });
    await until(() => restarts(dir).length === 1, 15_000, "the first exit");
    const started = Date.now();
    await runDistDown(dir);
    await exited();
    // On its own, not killed by dist-down's fallback after 5 s.
    assert.equal(supervisor.exitCode, 0);
    assert.ok(Date.now() - started < 2000, `dist-down took ${Date.now() - started} ms`);
    assert.equal(count(serviceLog(dir), "run"), 1);
  });

  test("a service that ignores SIGTERM is killed once the drain time is up", async () => {
    const stubborn = [
      process.execPath,
      "-e",
      "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);",
    ];
    const { dir } = startSupervised(stubborn);
    await until(
      () => existsSync(join(dir, "svc.log")) && count(serviceLog(dir), "up") === 1,
      15_000,
      "the service",
    );
    const service = readPid(join(dir, "svc.pid"));
    const { stdout } = await runDistDown(dir, { DRAIN_S: "1" });
    assert.match(stdout, new RegExp(`killed ${service} after the 1s drain timeout`));
    await until(() => !alive(service), 2000, "the service to be gone");
  });
});
