import { Counter, Gauge, type Registry } from "prom-client";
import { createServiceRegistry, type ServiceName } from "./service-registry.js";

/** The connections a service may depend on, as `dependency_up` names them. */
export type Dependency = "nats" | "postgres" | "redis";

/** Whether a dependency is usable now; asked at each scrape, so it must be cheap or cached. */
export type DependencyProbe = () => boolean | Promise<boolean>;

/** The figures every service has (docs/architecture.md, "Metrics"). */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Errors answered, by protocol code and the transport the request came by (`error_rate`). */
  readonly errors: Counter<"code" | "transport">;
  /** Adds `dependency` to `dependency_up` (1 usable, 0 not), as `probe` says at each scrape. */
  trackDependency(dependency: Dependency, probe: DependencyProbe): void;
}

export function createServiceMetrics(
  service: ServiceName,
  options: { processMetrics?: boolean } = {},
): ServiceMetrics {
  const registry = createServiceRegistry(service, options);
  const probes = new Map<Dependency, DependencyProbe>();
  const errors = new Counter({
    name: "errors_total",
    help: "Errors answered, by protocol code and the transport the request came by.",
    labelNames: ["code", "transport"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "dependency_up",
    help: "1 while the connection to the dependency is usable, else 0.",
    labelNames: ["dependency"] as const,
    registers: [registry],
    // Read at scrape time: the connections already track their state (a probe that throws is down).
    async collect() {
      await Promise.all(
        [...probes].map(async ([dependency, probe]) => {
          const up = await Promise.resolve()
            .then(probe)
            .catch(() => false);
          this.set({ dependency }, up ? 1 : 0);
        }),
      );
    },
  });
  return {
    registry,
    errors,
    trackDependency(dependency, probe) {
      probes.set(dependency, probe);
    },
  };
}
