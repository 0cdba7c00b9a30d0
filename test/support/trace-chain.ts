import assert from "node:assert/strict";
import { loadDataset, shortName } from "../../shared/epl/dataset.js";
import type { ReceivedSpan } from "./otlp-receiver.js";

/** An instruction the offline trading agent turns into one real trade (a fixture with open markets). */
export function tradeInstruction(): string {
  const fixture = loadDataset().matches.find((m) => m.season === "2025-26" && m.status === "scheduled")!;
  return `buy 5 shares of ${shortName(fixture.home)} to beat ${shortName(fixture.away)}`;
}

/** A finished span, as either the OTLP receiver or the in-memory exporter reports it. */
export type ChainSpan = Omit<ReceivedSpan, "links">;

export const kinds = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/**
 * Asserts that the spans hold ONE trace for an agent run that placed a trade (docs/architecture.md
 * "Tracing"), each span the child of the one before it: the gateway's `ws agent.run` (the root) →
 * `publish agent.run` → the worker's `process agent.run` → `agent.run` → its `model.call`s and
 * `tool placeTrade` → (distributed: the `exchange.trade` RPC client span → the exchange's server
 * span →) `trade` → PostgreSQL statements, and `trade` → `publish live` of the market's new prices
 * → the gateway's `live fan-out` of that event. `services` names the process expected for each
 * part (one name for all in embedded mode). Returns the trace's spans.
 */
export function assertTradeTrace(
  spans: readonly ChainSpan[],
  services: { gateway: string; worker: string; exchange: string; rpc: boolean },
): ChainSpan[] {
  const roots = spans.filter((s) => s.name === "ws agent.run" && s.parentSpanId === undefined);
  assert.equal(roots.length, 1, `one ws agent.run root span; got ${describe(spans)}`);
  const root = roots[0]!;
  const trace = spans.filter((s) => s.traceId === root.traceId);
  const child = (parent: ChainSpan, name: string, kind: number, service: string): ChainSpan => {
    const found = trace.filter((s) => s.parentSpanId === parent.spanId && s.name === name && s.kind === kind);
    assert.ok(
      found.length >= 1,
      `no ${name} span (kind ${kind}) under ${parent.name}; the trace holds:\n${describe(trace)}`,
    );
    assert.equal(found[0]!.service, service, `${name} comes from ${service}`);
    return found[0]!;
  };
  assert.equal(root.service, services.gateway);
  assert.equal(root.kind, kinds.server);
  const publish = child(root, "publish agent.run", kinds.producer, services.gateway);
  const consume = child(publish, "process agent.run", kinds.consumer, services.worker);
  const run = child(consume, "agent.run", kinds.internal, services.worker);
  child(run, "model.call", kinds.internal, services.worker);
  const tool = child(run, "tool placeTrade", kinds.internal, services.worker);
  let trade: ChainSpan;
  if (services.rpc) {
    const client = child(tool, "exchange.trade", kinds.client, services.worker);
    const server = child(client, "exchange.trade", kinds.server, services.exchange);
    trade = child(server, "trade", kinds.internal, services.exchange);
  } else {
    trade = child(tool, "trade", kinds.internal, services.exchange);
  }
  const statements = trace.filter(
    (s) => s.attributes["db.system.name"] === "postgresql" && hasAncestor(trace, s, trade),
  );
  assert.ok(statements.length > 0, `no PostgreSQL span under trade; the trace holds:\n${describe(trace)}`);
  assert.ok(
    statements.some((s) => typeof s.attributes["db.query.text"] === "string" || s.name.includes("batch")),
    "a statement span names its statement",
  );
  const livePublishes = trace.filter(
    (s) =>
      s.name === "publish live" &&
      s.parentSpanId === trade.spanId &&
      String(s.attributes["messaging.destination.name"]).includes("market."),
  );
  assert.ok(
    livePublishes.length > 0,
    `no market publish live under trade; the trace holds:\n${describe(trace)}`,
  );
  const fanouts = trace.filter(
    (s) => s.name === "live fan-out" && livePublishes.some((p) => p.spanId === s.parentSpanId),
  );
  assert.ok(
    fanouts.length > 0,
    `no live fan-out under the market's publish; the trace holds:\n${describe(trace)}`,
  );
  for (const fanout of fanouts) assert.equal(fanout.service, services.gateway);
  return trace;
}

function hasAncestor(trace: readonly ChainSpan[], span: ChainSpan, ancestor: ChainSpan): boolean {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (let at = span.parentSpanId; at !== undefined; at = byId.get(at)?.parentSpanId) {
    if (at === ancestor.spanId) return true;
  }
  return false;
}

function describe(spans: readonly ChainSpan[]): string {
  return spans
    .map((s) => `  ${s.service} ${s.name} kind=${s.kind} id=${s.spanId} parent=${s.parentSpanId ?? "-"}`)
    .join("\n");
}
