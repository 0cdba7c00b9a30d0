import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";

export type { Context, Link, Span };
export { SpanKind };

/**
 * The hot-path side of tracing (docs/architecture.md "Tracing"). Every helper first checks one
 * module flag that only `startTracing` sets: with tracing off no span object is made, no header is
 * built and no context is read, so the platform pays one branch per hop.
 */
let tracer: Tracer | undefined;

/** True once `startTracing` registered a provider, until its `shutdown`. */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** Set by `startTracing` only. */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; default the active context. `ROOT_CONTEXT` starts a new trace. */
  parent?: Context;
}

/**
 * Runs `work` inside a new active span (so what it starts, awaited or not, is the span's child);
 * the span ends when `work` returns or its promise settles, with status ERROR if it threw. With
 * tracing off this is `work()`.
 */
export function traced<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => T): T {
  if (tracer === undefined) return work(undefined);
  const parent = options.parent ?? context.active();
  if (unsampled(parent)) return work(undefined);
  const span = tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
  );
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), work, undefined, span);
  } catch (err) {
    fail(span, err);
    span.end();
    throw err;
  }
  if (isPromise(result)) {
    result.then(
      () => span.end(),
      (err: unknown) => {
        fail(span, err);
        span.end();
      },
    );
  } else span.end();
  return result;
}

/** Starts a span the caller ends (for work that is not one function call); undefined when off. */
export function startSpan(name: string, options: SpanOptions = {}): Span | undefined {
  if (tracer === undefined) return undefined;
  const parent = options.parent ?? context.active();
  if (unsampled(parent)) return undefined;
  return tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
  );
}

/**
 * True when `parent` holds a span that is not sampled: the trace was not sampled where it
 * started, so under a parent-based sampler (and under a trace-ID ratio, which decides the same for
 * every span of a trace) no span below it ever will be. Skipping those spans keeps an unsampled
 * action — 90 % of them at a 0.1 ratio — from paying for span objects and context switches at
 * every hop; the unsampled parent's context still travels on, so later hops and processes skip too.
 */
function unsampled(parent: Context): boolean {
  // The sampled flag, not isRecording(): a remote parent (extracted from headers) is never
  // recording here, sampled or not.
  const span = trace.getSpan(parent);
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0;
}

/** Runs `work` with `span` active (its children parent on it); `work()` when there is no span. */
export function withSpan<T>(span: Span | undefined, work: () => T): T {
  if (span === undefined) return work();
  return context.with(trace.setSpan(context.active(), span), work);
}

/** The active context when tracing is on (to hand work to a later turn); undefined when off. */
export function activeContext(): Context | undefined {
  return tracer === undefined ? undefined : context.active();
}

/** True when tracing is on and a span is active: work done now belongs to a traced action. */
export function insideSpan(): boolean {
  return tracer !== undefined && trace.getSpan(context.active()) !== undefined;
}

/** Runs `work` in `ctx` (from `activeContext`); `work()` when there is none. */
export function inContext<T>(ctx: Context | undefined, work: () => T): T {
  return ctx === undefined ? work() : context.with(ctx, work);
}

/** A link to the span active in `ctx`, if any. */
export function linkTo(ctx: Context | undefined): Link[] {
  const spanContext = ctx === undefined ? undefined : trace.getSpanContext(ctx);
  return spanContext === undefined ? [] : [{ context: spanContext }];
}

/** Marks `span` failed by `err` (status ERROR, the exception recorded). */
export function fail(span: Span | undefined, err: unknown): void {
  if (span === undefined) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** W3C trace context headers (`traceparent`, `tracestate`) as a plain record. */
export type TraceCarrier = Record<string, string>;

/** The active span's context as W3C headers, or undefined when tracing is off or no span is active. */
export function traceHeaders(): TraceCarrier | undefined {
  if (tracer === undefined) return undefined;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier;
}

/** Header maps with `get`/`set`/`keys`, as NATS message headers are. */
export interface HeaderMap {
  get(key: string): string;
  set(key: string, value: string): void;
  keys(): string[];
}

/** Adds the active span's W3C headers to NATS-style `headers`; nothing when off or no span. */
export function injectTrace(headers: HeaderMap): void {
  if (tracer === undefined) return;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return;
  propagation.inject(active, headers, { set: (carrier, key, value) => carrier.set(key, value) });
}

const headerMapGetter: TextMapGetter<HeaderMap> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: (carrier) => carrier.keys(),
};

/**
 * The remote parent carried by `headers` (a NATS header map or a `TraceCarrier`), on an empty
 * context: a message's span belongs to the trace that sent it, never to whatever context the
 * receiving callback happened to run in. `ROOT_CONTEXT` when nothing was carried.
 */
export function contextFrom(headers: HeaderMap | TraceCarrier | undefined): Context {
  if (tracer === undefined || headers === undefined) return ROOT_CONTEXT;
  if (typeof headers.get === "function" && typeof headers.keys === "function") {
    return propagation.extract(ROOT_CONTEXT, headers as HeaderMap, headerMapGetter);
  }
  return propagation.extract(ROOT_CONTEXT, headers as TraceCarrier);
}

/** Whether `ctx` carries a span (a remote parent was found). */
export function hasSpan(ctx: Context): boolean {
  return trace.getSpanContext(ctx) !== undefined;
}

/**
 * `trace_id`/`span_id` of the active span for a log line; an empty object when none is. A new
 * object each call: pino's mixin merge assigns the line's fields into it.
 */
export function traceIds(): { trace_id?: string; span_id?: string } {
  if (tracer === undefined) return {};
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export { ROOT_CONTEXT };

function isPromise<T>(value: T): value is T & Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
