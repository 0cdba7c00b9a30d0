import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { injectTrace, tracingOn } from "../../telemetry/spans.js";

/**
 * Message headers carrying the active span's W3C `traceparent` (docs/architecture.md "Tracing"):
 * `base` (or new headers) with it added; `base` untouched, and no headers made, when tracing is off.
 */
export function withTraceHeaders(base?: MsgHdrs): MsgHdrs | undefined {
  if (!tracingOn()) return base;
  const h = base ?? headers();
  injectTrace(h);
  return h;
}
