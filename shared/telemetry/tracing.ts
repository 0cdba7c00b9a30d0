import { context, propagation, trace } from "@opentelemetry/api";
import { getNumberFromEnv } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  type BufferConfig,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { useTracer } from "./spans.js";

/** The name a process reports when OTEL_SERVICE_NAME is unset. */
export type ServiceName = "gateway" | "agent-worker" | "exchange" | "market-feed" | "embedded";

export interface TracingOptions {
  service: ServiceName;
  /** The variables read to decide whether tracing is on; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Where finished spans go instead of OTLP/HTTP (tests: an `InMemorySpanExporter`), each as it
   * ends. Tracing is then on unless OTEL_SDK_DISABLED is true.
   */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Whether a tracer provider was registered. */
  readonly on: boolean;
  /** Exports every span still buffered, then unregisters the provider. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Whether the standard OpenTelemetry variables ask for traces: not with OTEL_SDK_DISABLED=true nor
 * OTEL_TRACES_EXPORTER=none; on with OTEL_TRACES_EXPORTER=otlp, or with it unset and an OTLP
 * endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) given.
 */
export function tracingWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(",").map((e) => e.trim().toLowerCase());
  if (exporters?.some((e) => e !== "")) return exporters.includes("otlp");
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

const off: Tracing = Object.freeze({ on: false, shutdown: async () => {} });

/**
 * Starts tracing for this process when the OTEL_* variables ask for it (docs/architecture.md
 * "Tracing"), else registers nothing and returns a handle that does nothing. When on: a Node tracer
 * provider registered globally (AsyncLocalStorage context, W3C trace context propagator), the
 * sampler of OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on), the
 * resource's `service.name` from OTEL_SERVICE_NAME or `service`, spans batched to the OTLP/HTTP
 * exporter (JSON; endpoint, headers and timeout from its standard variables). Call it before the
 * service builds its ports: they decide once, when built, whether to trace.
 */
export function startTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  const wanted =
    options.exporter === undefined
      ? tracingWanted(env)
      : env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true";
  if (!wanted) return off;
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || options.service }));
  const processor =
    options.exporter === undefined
      ? new BatchSpanProcessor(new OTLPTraceExporter(), batchOptionsFromEnv())
      : new SimpleSpanProcessor(options.exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  useTracer(provider.getTracer("epl-trading-platform"));
  let stopping: Promise<void> | undefined;
  return {
    on: true,
    shutdown() {
      stopping ??= (async () => {
        useTracer(undefined);
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
        }
      })();
      return stopping;
    },
  };
}

/**
 * The batch processor's OTEL_BSP_* variables: the SDK's own processor no longer reads them (only
 * the all-in-one `sdk-node` does), so they are read here as that documents them.
 */
function batchOptionsFromEnv(): BufferConfig {
  const options: BufferConfig = {};
  const scheduledDelayMillis = getNumberFromEnv("OTEL_BSP_SCHEDULE_DELAY");
  const exportTimeoutMillis = getNumberFromEnv("OTEL_BSP_EXPORT_TIMEOUT");
  const maxQueueSize = getNumberFromEnv("OTEL_BSP_MAX_QUEUE_SIZE");
  const maxExportBatchSize = getNumberFromEnv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE");
  if (scheduledDelayMillis !== undefined) options.scheduledDelayMillis = scheduledDelayMillis;
  if (exportTimeoutMillis !== undefined) options.exportTimeoutMillis = exportTimeoutMillis;
  if (maxQueueSize !== undefined) options.maxQueueSize = maxQueueSize;
  if (maxExportBatchSize !== undefined) options.maxExportBatchSize = maxExportBatchSize;
  return options;
}
