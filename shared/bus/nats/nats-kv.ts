import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV, Kvm } from "@nats-io/kv";

/**
 * A KV bucket whose keys expire `ttlMs` after their last write (nats-server 2.9 has bucket-wide
 * TTLs only), kept in `replicas` copies (NATS_REPLICAS). Created when missing; a bucket that
 * exists with another configuration (an older TTL, other replicas) is used as it is, so processes
 * of two releases can run side by side.
 */
export async function openKvBucket(kvm: Kvm, name: string, ttlMs: number, replicas = 1): Promise<KV> {
  try {
    return await kvm.create(name, { ttl: ttlMs, history: 1, replicas });
  } catch {
    return kvm.open(name);
  }
}

/** The server refused a compare-and-set write (`create` of an existing key, `update` at a stale revision). */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
