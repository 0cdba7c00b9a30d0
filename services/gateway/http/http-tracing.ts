import { FastifyOtelInstrumentation } from "@fastify/otel";
import type { FastifyPluginCallback } from "fastify";

/**
 * Fastify's official OpenTelemetry instrumentation: a SERVER span per HTTP request (parent: the
 * request's `traceparent` header, else a new trace sampled here) and a child span for its route
 * handler; what the handler awaits (the run queue, the exchange, Redis) nests under it. Hook spans
 * are left out: the request span already times them, and a span per hook per request is the
 * biggest cost of tracing a busy gateway. Health probes are not user actions: no trace. Registered
 * only while tracing is on.
 */
export function httpTracing(): FastifyPluginCallback {
  return new FastifyOtelInstrumentation({
    instrumentHooks: false,
    ignorePaths: ({ url }) => url === "/healthz" || url === "/readyz",
  }).plugin();
}
