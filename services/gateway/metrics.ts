import { Counter, Gauge, Histogram } from "prom-client";
import { createServiceMetrics, type ServiceMetrics } from "../../shared/metrics/service-metrics.js";

/**
 * The gateway's Prometheus figures, on a registry of its own labelled `service="gateway"` (several
 * apps in one process, as in tests and embedded mode, never collide on prom-client's global
 * registry). `processMetrics: false` leaves out the process's default metrics (embedded mode
 * collects them once for every service).
 */
export interface GatewayMetrics extends ServiceMetrics {
  readonly requests: Counter<"method" | "route" | "status">;
  readonly requestDuration: Histogram<"method" | "route">;
  readonly wsConnections: Gauge;
  /** Distinct users with at least one open socket on this gateway. */
  readonly activeUsers: Gauge;
  readonly agentRuns: Counter<"agent" | "tier" | "transport">;
  readonly agentRunsFinished: Counter<"agent" | "outcome">;
  socketOpened(userId: string): void;
  socketClosed(userId: string): void;
}

export function createGatewayMetrics(options: { processMetrics?: boolean } = {}): GatewayMetrics {
  const service = createServiceMetrics("gateway", options);
  const { registry } = service;
  const socketsPerUser = new Map<string, number>();
  const requests = new Counter({
    name: "requests_total",
    help: "HTTP requests answered.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "request_duration_seconds",
    help: "HTTP request duration in seconds.",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const wsConnections = new Gauge({
    name: "ws_connections",
    help: "Open WebSocket sessions.",
    registers: [registry],
  });
  const activeUsers = new Gauge({
    name: "active_users",
    help: "Distinct users with an open WebSocket on this gateway.",
    registers: [registry],
  });
  const agentRuns = new Counter({
    name: "agent_runs_total",
    help: "Agent runs submitted (duplicates excluded).",
    labelNames: ["agent", "tier", "transport"] as const,
    registers: [registry],
  });
  const agentRunsFinished = new Counter({
    name: "agent_runs_finished_total",
    help: "Agent runs relayed to their end, by stop reason or error code.",
    labelNames: ["agent", "outcome"] as const,
    registers: [registry],
  });
  return {
    ...service,
    requests,
    requestDuration,
    wsConnections,
    activeUsers,
    agentRuns,
    agentRunsFinished,
    socketOpened(userId) {
      wsConnections.inc();
      const count = socketsPerUser.get(userId) ?? 0;
      if (count === 0) activeUsers.inc();
      socketsPerUser.set(userId, count + 1);
    },
    socketClosed(userId) {
      wsConnections.dec();
      const count = socketsPerUser.get(userId) ?? 0;
      if (count === 0) return;
      if (count === 1) {
        socketsPerUser.delete(userId);
        activeUsers.dec();
      } else socketsPerUser.set(userId, count - 1);
    },
  };
}
