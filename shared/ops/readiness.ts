/** Each dependency's name and whether it is usable right now (`{ postgres: true, nats: false }`). */
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/**
 * What `/readyz` answers: 200 and the checks (with the `degraded` ones that are down but not
 * needed to serve), or 503 naming what is down in the protocol's error body.
 */
export type ReadinessAnswer =
  | { status: 200; body: { status: "ready"; checks: Record<string, boolean>; degraded?: string[] } }
  | {
      status: 503;
      body: { error: { code: "unavailable"; message: string }; checks: Record<string, boolean> };
    };

/**
 * Runs `check` and says which dependency is down, if any (a check that throws counts as
 * `readiness: false`). Dependencies named in `degradable` have a documented fallback (Redis: the
 * gateway's limits count in process, reads skip the cache): down, they are listed as `degraded`
 * but the process stays ready, since taking it out of service would be worse than the fallback.
 * Shared by the gateway's `/readyz` and the ops listener's, so every process answers alike
 * (docs/architecture.md, "Failure and overload, by design").
 */
export async function readinessAnswer(
  check: ReadinessCheck,
  options: { degradable?: readonly string[] } = {},
): Promise<ReadinessAnswer> {
  let checks: Record<string, boolean>;
  try {
    checks = await check();
  } catch {
    checks = { readiness: false };
  }
  const degradable = new Set(options.degradable ?? []);
  const off = Object.keys(checks).filter((name) => !checks[name]);
  const down = off.filter((name) => !degradable.has(name));
  const degraded = off.filter((name) => degradable.has(name));
  if (down.length === 0) {
    return { status: 200, body: { status: "ready", checks, ...(degraded.length > 0 ? { degraded } : {}) } };
  }
  return {
    status: 503,
    body: { error: { code: "unavailable", message: `not ready: ${down.join(", ")}` }, checks },
  };
}

/**
 * `probe` run at most once per `ttlMs` (concurrent callers share a run): a readiness check that
 * costs a round trip (a query, an RPC) stays cheap however often probes and scrapes ask. A probe
 * that throws or takes longer than `timeoutMs` answers false.
 */
export function cachedProbe(
  probe: () => Promise<unknown>,
  options: { ttlMs?: number; timeoutMs?: number } = {},
): () => Promise<boolean> {
  const ttlMs = options.ttlMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  let last: { at: number; answer: Promise<boolean> } | undefined;
  return () => {
    const now = Date.now();
    if (last !== undefined && now - last.at < ttlMs) return last.answer;
    let timer: NodeJS.Timeout | undefined;
    const answer = Promise.race([
      probe().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ])
      .catch(() => false)
      .finally(() => clearTimeout(timer));
    last = { at: now, answer };
    return answer;
  };
}
