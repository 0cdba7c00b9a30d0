/**
 * The baseline of every trade phase: the cheapest durable write PostgreSQL can do on the same
 * database at the same rate — one transaction updating one row — sent by the same client
 * processes on the same open-loop schedule. Row `i` stands for market `i` of the phase's set, so
 * 50 markets update 50 rows and the hot market one, and the baseline meets the same row-lock
 * contention as the trades. A trade is one such transaction with about ten more statements
 * plus a NATS round trip (and a gateway hop), so trade latency / baseline latency says how much
 * the platform adds over the floor the database sets on this machine at this moment.
 */
export const baselineTable = "loadtest_baseline";
