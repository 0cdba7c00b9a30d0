import { rpcCall } from "../telemetry/attributes.js";
import { contextFrom, SpanKind, traced } from "../telemetry/spans.js";

/** The server span of one request, child of the caller's client span (its `traceparent` header). */
export function serverSpan<T>(
  subject: string,
  headers: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  return traced(
    subject,
    { kind: SpanKind.SERVER, attributes: rpcCall(subject), parent: contextFrom(headers) },
    work,
  );
}
