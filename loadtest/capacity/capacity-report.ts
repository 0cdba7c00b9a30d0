import type { TopLevelSpec } from "vega-lite";
import { defaultUserModel as ledgerModel } from "../ledger-capacity/user-model.js";
import { formatMs, formatTable } from "../lib/report.js";
import type { StepResult } from "./harness.js";
import { serverKinds } from "./process-usage.js";
import {
  fleetFor,
  llmCostPerUserMonth,
  type PerUser,
  perUser,
  planServer,
  sonnetPrice,
  usersPerServer,
} from "./server-arithmetic.js";
import { slo, usersHeld } from "./slo.js";
import { type CapacityUserModel, totalRunsPerHour } from "./user-model.js";

/**
 * Offline usage counts whitespace-separated words of the same requests the Anthropic provider
 * sends (the whole conversation again on every model call, summed over the calls); a provider
 * token is taken as 1.3 words' worth for prose. JSON (tool definitions, tool results) holds more
 * tokens per word, so this undercounts: the figure is a floor.
 */
export const tokensPerOfflineWord = 1.3;
/** Average-hour runs × 24 h × 30 days: every day counted like a match day, so an upper bound. */
const hoursPerMonth = 24 * 30;

export interface Arithmetic {
  usersHeld: number;
  /** Users of the steps the costs per user come from. */
  basisUsers: number[];
  /** Users held × compression: the real-time users whose actions the held step carried. */
  realTimeUsersByCpu: number;
  perUserByKind: Record<string, PerUser & { usersPerServer: number; byCpu: number; byMemory: number }>;
  /** Every kind on one 8-vCPU server together. */
  usersPerMixedServer: number;
  million: ReturnType<typeof fleetFor>;
  /** What runs out first: the kind with the fewest users per server. */
  firstToRunOut: string;
  llm: {
    runsMeasured: number;
    inputWordsPerRun: number;
    outputWordsPerRun: number;
    runsPerUserMonth: number;
    costPerUserMonth: number;
    price: typeof sonnetPrice;
  };
}

export function arithmetic(
  steps: readonly StepResult[],
  model: CapacityUserModel,
  compression: number,
): Arithmetic {
  const held = usersHeld(steps);
  // CPU and memory per user from every step whose load was carried (≥ 95 % of the runs and
  // trades offered were done), held or not: a step that broke a latency objective still says
  // what its users cost.
  const basis = steps.filter(
    (s) =>
      s.achievedPerS.runs >= 0.95 * s.offeredPerS.agentRun &&
      s.achievedPerS.trades >= 0.95 * s.offeredPerS.trade * (1 - marketRefusedShare(s)),
  );
  const perUserByKind: Arithmetic["perUserByKind"] = {};
  for (const kind of serverKinds) {
    const samples = basis
      .filter((s) => s.kinds[kind] !== undefined)
      .map((s) => ({ users: s.users, cores: s.kinds[kind]!.cores, rssBytes: s.kinds[kind]!.rssBytes }));
    if (samples.length === 0) continue;
    const cost = perUser(samples, compression, kind === "gateway" ? "socket" : "rate");
    perUserByKind[kind] = {
      ...cost,
      ...usersPerServer(cost, planServer),
      usersPerServer: usersPerServer(cost, planServer).users,
    };
  }
  const costs = Object.fromEntries(
    Object.entries(perUserByKind).map(([k, v]) => [
      k,
      { coresPerUser: v.coresPerUser, bytesPerUser: v.bytesPerUser },
    ]),
  );
  const mixed = usersPerServer(
    {
      coresPerUser: Object.values(costs).reduce((a, c) => a + Math.max(0, c.coresPerUser), 0),
      bytesPerUser: Object.values(costs).reduce((a, c) => a + Math.max(0, c.bytesPerUser), 0),
    },
    planServer,
  ).users;
  const firstToRunOut =
    Object.entries(perUserByKind).sort((a, b) => a[1].usersPerServer - b[1].usersPerServer)[0]?.[0] ?? "–";
  const usage = steps.reduce(
    (a, s) => ({
      runs: a.runs + s.usage.runs,
      input: a.input + s.usage.inputTokens,
      output: a.output + s.usage.outputTokens,
    }),
    { runs: 0, input: 0, output: 0 },
  );
  const runsPerUserMonth = (totalRunsPerHour(model) / ledgerModel.peakFactor) * hoursPerMonth;
  const inputWordsPerRun = usage.input / Math.max(1, usage.runs);
  const outputWordsPerRun = usage.output / Math.max(1, usage.runs);
  return {
    usersHeld: held,
    basisUsers: basis.map((s) => s.users),
    realTimeUsersByCpu: held * compression,
    perUserByKind,
    usersPerMixedServer: mixed,
    million: fleetFor(costs, 1_000_000, planServer),
    firstToRunOut,
    llm: {
      runsMeasured: usage.runs,
      inputWordsPerRun,
      outputWordsPerRun,
      runsPerUserMonth,
      costPerUserMonth: llmCostPerUserMonth({
        runsPerUserMonth,
        inputPerRun: inputWordsPerRun,
        outputPerRun: outputWordsPerRun,
        tokensPerCounted: tokensPerOfflineWord,
        price: sonnetPrice,
      }),
      price: sonnetPrice,
    },
  };
}

/** Share of a step's trades the market refused (closed after a goal or at full time): answered, not filled. */
function marketRefusedShare(s: StepResult): number {
  const refused = Object.values(s.tradeRejections).reduce((a, b) => a + b, 0);
  return refused / Math.max(1, s.tradeMs.count + refused);
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fixed = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : "–");

export function stepsTable(steps: readonly StepResult[]): string {
  return formatTable(
    [
      "users",
      "live",
      "runs/s",
      "trades/s",
      "quotes/s",
      "reconn/s",
      "events/s",
      "first delta p99",
      "trade p99",
      "live p99",
      "gaps",
      "lost",
      "server cores",
      "client cores",
      "verdict",
    ],
    steps.map((s) => {
      const serverCores = serverKinds.reduce((a, k) => a + (s.kinds[k]?.cores ?? 0), 0);
      return [
        int(s.users),
        String(s.liveMatches),
        `${fixed(s.achievedPerS.runs, 1)}/${fixed(s.offeredPerS.agentRun, 1)}`,
        `${fixed(s.achievedPerS.trades, 1)}/${fixed(s.offeredPerS.trade, 1)}`,
        fixed(s.achievedPerS.quotes, 1),
        fixed(s.achievedPerS.reconnects, 1),
        int(s.achievedPerS.liveEvents),
        formatMs(s.firstDeltaMs.p99),
        formatMs(s.tradeMs.p99),
        formatMs(s.liveDeliveryMs.p99),
        String(s.live.gaps + s.reconnects.notRecovered),
        `${s.outcome.tradesLost}/${s.outcome.runsLost}`,
        fixed(serverCores, 2),
        fixed(s.kinds["load-client"]?.cores ?? Number.NaN, 2),
        s.broken.length === 0 ? "held" : `broke: ${s.broken.join(", ")}`,
      ];
    }),
  );
}

export function kindsTable(steps: readonly StepResult[]): string {
  const kinds = [...serverKinds, "load-client"];
  return formatTable(
    ["users", ...kinds.map((k) => `${k} cores / MiB`)],
    steps.map((s) => [
      int(s.users),
      ...kinds.map((k) =>
        s.kinds[k] ? `${fixed(s.kinds[k]!.cores, 2)} / ${int(s.kinds[k]!.rssBytes / 2 ** 20)}` : "–",
      ),
    ]),
  );
}

export function arithmeticTable(a: Arithmetic): string {
  return formatTable(
    [
      "kind",
      "mcores per user",
      "KiB per user",
      "users per 8-vCPU server (CPU)",
      "(memory)",
      "servers for 10⁶",
    ],
    Object.entries(a.perUserByKind).map(([kind, c]) => [
      kind,
      fixed(c.coresPerUser * 1000, 4),
      fixed(c.bytesPerUser / 1024, 1),
      int(c.byCpu),
      int(c.byMemory),
      String(a.million.serversByKind[kind] ?? "–"),
    ]),
  );
}

export function summaryLines(a: Arithmetic, compression: number): string[] {
  return [
    `costs per user from the steps of ${a.basisUsers.join(", ")} users`,
    `users held on this machine: ${int(a.usersHeld)} sockets at ${compression}× compressed rates (CPU of ${int(a.realTimeUsersByCpu)} users at real time)`,
    `one 8-vCPU server of each kind: first to run out ${a.firstToRunOut}; every kind on one server together: ${int(a.usersPerMixedServer)} users (plan: 10,000)`,
    `a million users: ${a.million.servers} servers (${Object.entries(a.million.serversByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}) (plan: 100)`,
    `compute per user-month at $${planServer.pricePerMonth}/server-month: $${fixed(a.million.costPerUserMonth, 4)} (plan: $0.028)`,
    `LLM per user-month, stated apart: ${fixed(a.llm.runsPerUserMonth, 0)} runs × (${int(a.llm.inputWordsPerRun)} in + ${int(a.llm.outputWordsPerRun)} out offline words × ${tokensPerOfflineWord} tokens/word) at $${a.llm.price.inputPerMTok}/$${a.llm.price.outputPerMTok} per MTok = $${fixed(a.llm.costPerUserMonth, 2)} (from ${int(a.llm.runsMeasured)} runs)`,
  ];
}

/** The curves: objectives' p99s against users (log scale), each against its limit, and cores by kind. */
export function curvesSpec(steps: readonly StepResult[]): TopLevelSpec {
  const latency = steps
    .flatMap((s) => [
      { users: s.users, what: "first agent delta", p99: s.firstDeltaMs.p99, limit: slo.firstDeltaP99Ms },
      { users: s.users, what: "trade", p99: s.tradeMs.p99, limit: slo.tradeP99Ms },
      { users: s.users, what: "live delivery", p99: s.liveDeliveryMs.p99, limit: slo.liveDeliveryP99Ms },
    ])
    .filter((d) => Number.isFinite(d.p99));
  const cores = steps.flatMap((s) =>
    serverKinds.filter((k) => s.kinds[k]).map((k) => ({ users: s.users, kind: k, cores: s.kinds[k]!.cores })),
  );
  const x = {
    field: "users",
    type: "quantitative",
    title: "users (sockets) in the step",
    scale: { type: "log" },
  } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Mixed workload: p99 against the objectives, and CPU by process kind",
    // Two legends: the objectives on the left, the process kinds on the right.
    resolve: { scale: { color: "independent" } },
    hconcat: [
      {
        title: "p99 latency / objective (above 1: broken)",
        width: 320,
        height: 240,
        data: { values: latency.map((d) => ({ ...d, share: d.p99 / d.limit })) },
        layer: [
          {
            mark: { type: "line", point: true },
            encoding: {
              x,
              y: { field: "share", type: "quantitative", title: "p99 / objective", scale: { type: "log" } },
              color: { field: "what", type: "nominal", title: "p99 of" },
            },
          },
          { mark: { type: "rule", strokeDash: [4, 4] }, encoding: { y: { datum: 1 } } },
        ],
      },
      {
        title: "cores busy by kind",
        width: 320,
        height: 240,
        data: { values: cores },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "cores", type: "quantitative", title: "cores" },
          color: { field: "kind", type: "nominal", title: "process kind" },
        },
      },
    ],
  };
}
