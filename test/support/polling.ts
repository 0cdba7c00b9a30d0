/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  await untilFound(async () => ((await check()) ? true : undefined), timeoutMs, what);
}

/** Polls `find` every 20 ms until it returns a value, and returns it; fails naming `what` after `timeoutMs`. */
export async function untilFound<T>(
  find: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Tries `attempt` until it resolves, again `everyMs` after each failure that `retryIf` accepts;
 * a failure it does not accept, or the last one after `timeoutMs`, is thrown as it is.
 */
export async function retried<T>(
  attempt: () => Promise<T>,
  options: { timeoutMs: number; everyMs?: number; retryIf?: (err: unknown) => boolean },
): Promise<T> {
  const { timeoutMs, everyMs = 20, retryIf = () => true } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryIf(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/**
 * A pause of `ms` that is part of the behaviour under test: a fault's duration, a client's backoff,
 * a handler's work, a ttl running out, a silence in which nothing may arrive. Never a wait for
 * something to happen: that is `until`.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
