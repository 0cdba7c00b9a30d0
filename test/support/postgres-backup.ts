import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import {
  asPostgres,
  asPostgresUser,
  finished,
  type OwnedPostgres,
  type OwnedServer,
  ownedPostgresDir,
  postgresBin,
  runOwnedPostgres,
} from "./owned-servers.js";
import { until } from "./polling.js";

/**
 * The backup side of docs/operations.md ("PostgreSQL backups and point-in-time recovery") run by
 * a test against a cluster it owns: the shipped settings, a WAL archive streamed by
 * `pg_receivewal`, base backups by `pg_basebackup`, and a restore into a fresh cluster. The
 * commands are the runbook's, with paths of the test's own.
 */

/** `infra/postgres/backup.conf` as `-c` settings: `name = value` lines, quotes removed. */
export function shippedBackupSettings(root: string): Record<string, string> {
  const text = readFileSync(join(root, "infra/postgres/backup.conf"), "utf8");
  const settings: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (match) settings[match[1]!] = match[2]!.replace(/^'(.*)'$/, "$1");
  }
  return settings;
}

export interface WalArchive {
  /** Folder holding the WAL segments (the one being written ends in `.partial`). */
  readonly dir: string;
  /**
   * Freezes `pg_receivewal` (SIGSTOP): it reads and flushes nothing more, as when the archive's
   * host or network stalls.
   */
  pause(): void;
  /** Kills it at once (SIGKILL, even when frozen): WAL it received but had not flushed is gone. */
  kill(): Promise<void>;
  /** Stops `pg_receivewal` (keeping the folder). */
  stop(): Promise<void>;
  /** Stops it and deletes the folder. */
  remove(): Promise<void>;
}

/**
 * `pg_receivewal --synchronous` on a replication slot, streaming `server`'s WAL into a folder of
 * its own and flushing every write; resolves once the server counts it as a synchronous standby,
 * so that commits acknowledged from then on are in the archive.
 */
export async function startWalArchive(server: OwnedServer): Promise<WalArchive> {
  const dir = ownedPostgresDir();
  const connection = ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-w"];
  const slot = "--slot=wal_archive";
  await finished(
    asPostgres(join(postgresBin(), "pg_receivewal"), [
      ...connection,
      slot,
      "--create-slot",
      "--if-not-exists",
    ]),
    "pg_receivewal --create-slot",
  );
  // Spawned as the postgres user itself: pause() and kill() must reach pg_receivewal.
  const receiver: ChildProcess = spawn(
    join(postgresBin(), "pg_receivewal"),
    [...connection, slot, "-D", dir, "--synchronous"],
    { ...asPostgresUser(), stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => receiver.once("exit", () => resolve()));
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    await until(
      async () => {
        const rows = await sql`SELECT 1 FROM pg_stat_replication
        WHERE application_name = 'pg_receivewal' AND sync_state IN ('sync', 'quorum')`;
        return rows.length > 0;
      },
      20_000,
      "pg_receivewal to stream as a synchronous standby",
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
  const signal = async (name: NodeJS.Signals) => {
    if (receiver.exitCode === null && receiver.signalCode === null) receiver.kill(name);
    await exited;
  };
  const stop = () => signal("SIGTERM");
  return {
    dir,
    pause: () => receiver.kill("SIGSTOP"),
    kill: () => signal("SIGKILL"),
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `pg_basebackup` of `server` in plain format, its WAL included (`-X stream`), into a folder of
 * its own; returns the folder (the backup is in `<folder>/data`).
 */
export async function takeBaseBackup(server: OwnedServer): Promise<string> {
  const dir = ownedPostgresDir();
  await finished(
    asPostgres(join(postgresBin(), "pg_basebackup"), [
      ...["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-w"],
      ...["-D", join(dir, "data"), "-X", "stream", "--checkpoint=fast", "--no-sync"],
    ]),
    "pg_basebackup",
  );
  return dir;
}

/**
 * A fresh cluster from the base backup in `backupDir` with the WAL of `archiveDir` replayed up to
 * the named restore point `targetName` (or to the end of the archive), then promoted: a copy of
 * the backup, `recovery.signal`, and the runbook's `restore_command`, which takes a segment's
 * `.partial` file when the segment was never finished (the one being written when the primary
 * was lost). Resolves once the cluster is out of recovery and accepts writes.
 */
export async function restoreCluster(
  backupDir: string,
  archiveDir: string,
  targetName?: string,
): Promise<OwnedPostgres> {
  const dir = ownedPostgresDir();
  const dataDir = join(dir, "data");
  await finished(asPostgres("cp", ["-a", join(backupDir, "data"), dataDir]), "cp base backup");
  const restoreCommand = `cp ${archiveDir}/%f %p 2>/dev/null || cp ${archiveDir}/%f.partial %p`;
  const recovery = [
    `restore_command = '${restoreCommand}'`,
    ...(targetName === undefined
      ? []
      : [`recovery_target_name = '${targetName}'`, "recovery_target_action = 'promote'"]),
  ];
  const asRoot = process.getuid?.() === 0;
  const write = (file: string, text: string) => {
    const path = join(dataDir, file);
    writeFileSync(path, text, { flag: "a" });
    if (asRoot) execFileSync("chown", ["postgres:postgres", path]);
  };
  write("postgresql.auto.conf", `${recovery.join("\n")}\n`);
  write("recovery.signal", "");
  const restored = await runOwnedPostgres(dir, dataDir, {});
  const sql = postgres(restored.url, { max: 1, onnotice: () => {} });
  try {
    await until(
      async () => !(await sql`SELECT pg_is_in_recovery() AS r`)[0]!.r,
      20_000,
      "the restored cluster to be promoted",
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
  return restored;
}
