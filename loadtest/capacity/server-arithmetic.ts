/**
 * From what one machine measured to what a million users need (docs/capacity.md, "Users per
 * server"). CPU scales with the actions' rates, so a user's CPU at real time is the step's CPU
 * over (users × compression); memory scales with the sockets held, which time compression does
 * not multiply, so a user's memory is the step's over its users. Both are taken as slopes across
 * the held steps, which leaves out what a process costs with no users at all.
 */

/** One measured step: users (sockets), and per process kind its CPU (cores busy) and RSS (bytes). */
export interface KindSample {
  users: number;
  cores: number;
  rssBytes: number;
}

/**
 * Least-squares slope of y over x; with one point, the line through the origin (y / x), which
 * charges the fixed cost to the users too; NaN with none.
 */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return points[0]!.x === 0 ? Number.NaN : points[0]!.y / points[0]!.x;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

export interface PerUser {
  /** Cores one user takes at real time (not compressed). */
  coresPerUser: number;
  bytesPerUser: number;
}

/**
 * A kind's cost per user: CPU slope over users, divided by the compression. Memory: a kind that
 * holds each user's socket (`memoryPer: "socket"`, the gateway) pays per user held, which the
 * compression does not multiply; every other kind's memory follows the rates (runs, trades and
 * events in flight), so its slope is divided by the compression like CPU. A slope at or below
 * zero (noise on a kind the load barely touches) rules nothing out.
 */
export function perUser(
  samples: readonly KindSample[],
  compression: number,
  memoryPer: "socket" | "rate" = "rate",
): PerUser {
  const memory = slope(samples.map((s) => ({ x: s.users, y: s.rssBytes })));
  return {
    coresPerUser: slope(samples.map((s) => ({ x: s.users, y: s.cores }))) / compression,
    bytesPerUser: memoryPer === "socket" ? memory : memory / compression,
  };
}

export interface ServerShape {
  vcpus: number;
  memoryBytes: number;
  /** Share of the cores planned for (the rest is headroom for bursts, GC, failover). */
  cpuTarget: number;
  memoryTarget: number;
  /** On-demand price of one such server per month (USD). */
  pricePerMonth: number;
}

/** The plan's server: 8 vCPU; 32 GiB as an m5.2xlarge has; its price is the plan's own (docs/capacity.md). */
export const planServer: ServerShape = Object.freeze({
  vcpus: 8,
  memoryBytes: 32 * 2 ** 30,
  cpuTarget: 0.7,
  memoryTarget: 0.8,
  // $0.028 per user-month × 10⁶ users / 100 servers.
  pricePerMonth: 280,
});

/** Users one server of `shape` holds running only this kind, by CPU and by memory, and the lesser. */
export function usersPerServer(
  cost: PerUser,
  shape: ServerShape = planServer,
): { byCpu: number; byMemory: number; users: number } {
  const bound = (capacity: number, each: number) => (each > 0 ? capacity / each : Number.POSITIVE_INFINITY);
  const byCpu = bound(shape.vcpus * shape.cpuTarget, cost.coresPerUser);
  const byMemory = bound(shape.memoryBytes * shape.memoryTarget, cost.bytesPerUser);
  return { byCpu, byMemory, users: Math.min(byCpu, byMemory) };
}

export interface Fleet {
  /** Servers of each kind for `users` (whole servers, at least one per kind with a cost). */
  serversByKind: Record<string, number>;
  servers: number;
  /** Users per server across the fleet: users / servers. */
  usersPerServer: number;
  /** Compute per user-month at the shape's price, every server on for the whole month. */
  costPerUserMonth: number;
}

/** The servers `users` need, one kind per server (each kind scales on its own). */
export function fleetFor(
  costs: Readonly<Record<string, PerUser>>,
  users: number,
  shape: ServerShape = planServer,
): Fleet {
  const serversByKind: Record<string, number> = {};
  for (const [kind, cost] of Object.entries(costs)) {
    const each = usersPerServer(cost, shape).users;
    if (Number.isFinite(each)) serversByKind[kind] = Math.max(1, Math.ceil(users / each));
  }
  const servers = Object.values(serversByKind).reduce((a, b) => a + b, 0);
  return {
    serversByKind,
    servers,
    usersPerServer: users / servers,
    costPerUserMonth: (servers * shape.pricePerMonth) / users,
  };
}

/** List price of a model per million tokens (USD). */
export interface ModelPrice {
  model: string;
  inputPerMTok: number;
  outputPerMTok: number;
  source: string;
}

export const sonnetPrice: ModelPrice = Object.freeze({
  model: "claude-sonnet-5-5 (the default ANTHROPIC_MODEL)",
  inputPerMTok: 2,
  outputPerMTok: 10,
  source:
    "https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview (Input $2 / MTok, Output $10 / MTok)",
});

/**
 * LLM cost per user-month: runs a user asks for in a month times the tokens of a run at list
 * price. `tokensPerCounted` converts what the usage counted into the provider's tokens (1 when
 * the usage already is the provider's).
 */
export function llmCostPerUserMonth(params: {
  runsPerUserMonth: number;
  inputPerRun: number;
  outputPerRun: number;
  tokensPerCounted: number;
  price: ModelPrice;
}): number {
  const { runsPerUserMonth, inputPerRun, outputPerRun, tokensPerCounted, price } = params;
  const perRun =
    (inputPerRun * tokensPerCounted * price.inputPerMTok +
      outputPerRun * tokensPerCounted * price.outputPerMTok) /
    1e6;
  return runsPerUserMonth * perRun;
}
