import { type ChildProcess, fork } from "node:child_process";

/**
 * Load-generating client processes: one process holds at most a few thousand sockets (the
 * machine allows 20,000 open files per process, and one event loop saturates long before), so a
 * benchmark forks several and drives them by calling named methods over IPC. A child serves its
 * methods with `serveParent` and exits when the parent disconnects or dies.
 */
export interface ClientProcess {
  readonly index: number;
  readonly pid: number | undefined;
  /** Calls `method` in the child; rejects with the child's error, or when the child dies. */
  call<T>(method: string, params?: unknown): Promise<T>;
  /** Disconnects and waits for the child to exit (killed after `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

type Request = { callId: number; method: string; params: unknown };
type Reply = { callId: number; ok: true; result: unknown } | { callId: number; ok: false; error: string };

/** Forks `count` children running `modulePath` (a .ts file, loaded through tsx). */
export function forkClients(modulePath: string, count: number): ClientProcess[] {
  return Array.from({ length: count }, (_, index) => forkClient(modulePath, index));
}

function forkClient(modulePath: string, index: number): ClientProcess {
  const child: ChildProcess = fork(modulePath, [String(index)], {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`client ${index} exited (${signal ?? code})`));
      pending.clear();
      resolve();
    });
  });
  child.on("message", (message: Reply) => {
    const waiter = pending.get(message.callId);
    if (waiter === undefined) return;
    pending.delete(message.callId);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`client ${index}: ${message.error}`));
  });

  return {
    index,
    pid: child.pid,
    call<T>(method: string, params?: unknown) {
      if (exited) return Promise.reject(new Error(`client ${index} has exited`));
      const callId = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(callId, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ callId, method, params } satisfies Request);
      });
    },
    async close(timeoutMs = 5000) {
      if (exited) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: each method checks its own params; IPC is untyped.
export type ClientMethods = Record<string, (params: any) => Promise<unknown>>;

/**
 * Child side: answers the parent's calls with `methods`. `onExit` runs (once) when the parent
 * disconnects, before the process exits.
 */
export function serveParent(methods: ClientMethods, onExit: () => Promise<void> | void = () => {}): void {
  if (process.send === undefined) throw new Error("not a forked client process");
  const reply = (message: Reply) => process.send?.(message);
  process.on("message", (request: Request) => {
    const method = methods[request.method];
    if (method === undefined) {
      reply({ callId: request.callId, ok: false, error: `no method ${request.method}` });
      return;
    }
    method(request.params).then(
      (result) => reply({ callId: request.callId, ok: true, result }),
      (err: unknown) =>
        reply({ callId: request.callId, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.once("disconnect", () => {
    void Promise.resolve(onExit()).finally(() => process.exit(0));
  });
}

/** The index a child was forked with (`forkClients` passes it as the first argument). */
export function clientIndex(): number {
  return Number(process.argv[2] ?? 0);
}
