import { Counter, Histogram, type Registry } from "prom-client";

/** The fan-out figures (docs/architecture.md "Live events"), on the gateway's registry. */
export interface LiveMetrics {
  /** Events received from the LIVE stream, by topic kind. */
  readonly events: Counter<"kind">;
  /** Event frames serialised: one per event and channel, however many sockets it reaches. */
  readonly framesSerialised: Counter;
  /** Event frames handed to sockets (or their conflation queue). */
  readonly framesDelivered: Counter;
  /** Pending events a newer one of the same market replaced for a slow socket. */
  readonly conflated: Counter;
  readonly slowConsumers: Counter;
  /** From the event's store time to the end of its fan-out. */
  readonly fanoutLatency: Histogram;
}

export function createLiveMetrics(registry: Registry): LiveMetrics {
  // Several hubs may share one registry (embedded mode): reuse what is already registered.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    events: counter("live_events_total", "Live events received from the LIVE stream.", ["kind"] as const),
    framesSerialised: counter("live_frames_serialised_total", "Live event frames serialised."),
    framesDelivered: counter("live_fanout_frames_total", "Live event frames fanned out to sockets."),
    conflated: counter("live_conflated_total", "Live events replaced by a newer one for a slow socket."),
    slowConsumers: counter(
      "live_slow_consumer_disconnects_total",
      "Sockets closed (4008) for not keeping up with live events.",
    ),
    fanoutLatency:
      (registry.getSingleMetric("live_fanout_latency_seconds") as Histogram | undefined) ??
      new Histogram({
        name: "live_fanout_latency_seconds",
        help: "Seconds from a live event's store time to the end of its fan-out.",
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
      }),
  };
}
