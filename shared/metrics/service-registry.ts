import { collectDefaultMetrics, Registry } from "prom-client";

type MetricFamily = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>[number];

/** The services of docs/architecture.md, as the `service` label names them. */
export type ServiceName = "gateway" | "agent-worker" | "exchange" | "market-feed";

/** What a `/metrics` route serves: the Prometheus text of one or more registries. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * The registry of one service, every figure on it labelled `service`. With `processMetrics`
 * (every distributed process) it carries prom-client's default metrics (event-loop lag, heap,
 * CPU, file descriptors); embedded mode collects those once, on a registry of its own.
 *
 * Why a registry per service rather than one per process with `service` as a declared label:
 * every service's code then reads the same whichever mode runs it (`errors.inc({ code,
 * transport })`, never the service), and the label comes from one place. Embedded mode, one
 * process running every service, serves them through `combineRegistries`, which joins figures of
 * the same name (`errors_total`, `dependency_up`) into one family — what `Registry.merge` refuses —
 * so both modes expose the same names and labels (docs/architecture.md, "Metrics").
 */
export function createServiceRegistry(
  service: ServiceName | "embedded",
  options: { processMetrics?: boolean } = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * One Prometheus exposition of several registries, read at each scrape: figures of the same name
 * become one family (one HELP and TYPE line) holding every registry's series, which differ by
 * their `service` label. A name registered with different types is a programming error and throws.
 */
export function combineRegistries(registries: readonly Registry[]): MetricsSource {
  return {
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    async metrics() {
      const families = new Map<string, MetricFamily>();
      for (const registry of registries) {
        for (const metric of await registry.getMetricsAsJSON()) {
          const family = families.get(metric.name);
          if (family === undefined) families.set(metric.name, { ...metric, values: [...metric.values] });
          else if (family.type !== metric.type)
            throw new Error(`metric ${metric.name} is a ${family.type} and a ${metric.type}`);
          else family.values.push(...metric.values);
        }
      }
      const combined = new Registry();
      for (const family of families.values()) {
        // A registry takes any object that answers `get()` with a metric's values.
        combined.registerMetric({ ...family, get: () => family } as never);
      }
      return combined.metrics();
    },
  };
}
