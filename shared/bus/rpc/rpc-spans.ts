import { rpcCall } from "../../telemetry/attributes.js";
import { contextFrom, SpanKind, traced, tracingOn } from "../../telemetry/spans.js";

/** The server span of one request, child of the caller's client span (its `traceparent` header). */
export function serverSpan<T>(
  subject: string,
  headers: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracingOn()) return work();
  return traced(
    subject,
    { kind: SpanKind.SERVER, attributes: rpcCall(subject), parent: contextFrom(headers) },
    work,
  );
}
