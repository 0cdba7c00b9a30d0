import { AppError } from "../../errors.js";

/**
 * How many requests one serving process handles at once (`maxInFlight`, across all its
 * subjects) and how many more wait for a turn (`maxQueued`). Past both, a request is answered
 * `overloaded` at once: under overload the server keeps doing work somebody still waits for,
 * instead of queueing everything on its database pool and running transactions whose callers
 * gave up long ago.
 */
export interface RpcLimits {
  maxInFlight: number;
  maxQueued: number;
}

/** How long a caller waits for a reply unless it says otherwise. */
export const defaultRpcTimeoutMs = 5000;

/**
 * About three times an exchange's database pool in flight (its transactions are short), and a
 * burst of a few hundred callers waiting: waiting costs nothing once callers that gave up are
 * dropped, while refusing a burst the server would clear in well under a second costs retries.
 */
export const defaultRpcLimits: RpcLimits = { maxInFlight: 32, maxQueued: 512 };

/**
 * The caller's timeout in ms, sent with every request: a request that waited past it has nobody
 * left to answer, so it is dropped instead of handled. Relative, so clocks need not agree; the
 * time on the wire is not counted.
 */
export const timeoutHeader = "Rpc-Timeout-Ms";

export function overloaded(): AppError {
  return new AppError("overloaded", "the service is at capacity; try again shortly", { retryAfterMs: 100 });
}

export interface RequestGate {
  /**
   * Runs `handle` now, or in arrival order once a turn is free; calls `refuse` at once when the
   * queue is full. A request whose caller gave up (now past `deadline`) before its
   * turn is neither handled nor answered (`deadline` on `performance.now()`'s clock: a wall clock
   * set back would keep dead requests alive). Resolves when the request is done with either way.
   */
  admit(deadline: number, handle: () => Promise<void>, refuse: () => void): Promise<void>;
}

export function createRequestGate(limits: RpcLimits): RequestGate {
  let running = 0;
  const waiting: { deadline: number; handle: () => Promise<void>; done: () => void }[] = [];

  function run(handle: () => Promise<void>, done: () => void): void {
    running++;
    const finish = () => {
      running--;
      done();
      next();
    };
    handle().then(finish, finish);
  }

  function next(): void {
    while (running < limits.maxInFlight) {
      const job = waiting.shift();
      if (job === undefined) return;
      if (performance.now() >= job.deadline) job.done();
      else run(job.handle, job.done);
    }
  }

  return {
    admit(deadline, handle, refuse) {
      return new Promise<void>((done) => {
        if (performance.now() >= deadline) done();
        else if (running < limits.maxInFlight) run(handle, done);
        else if (waiting.length < limits.maxQueued) waiting.push({ deadline, handle, done });
        else {
          refuse();
          done();
        }
      });
    },
  };
}

/** When the caller stops waiting, from the request's headers and its arrival (`performance.now()`). */
export function deadlineOf(headers: Record<string, string>, receivedAt: number): number {
  const timeoutMs = Number(headers[timeoutHeader]);
  return Number.isFinite(timeoutMs) && timeoutMs > 0 ? receivedAt + timeoutMs : Number.POSITIVE_INFINITY;
}
