import { randomBytes } from "node:crypto";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { isWrongLastSequence, openKvBucket } from "../../shared/bus/nats/nats-kv.js";
import { AppError } from "../../shared/errors.js";
import type { LeaderLease } from "./leader-lease.js";

export interface NatsLeaderLeaseOptions {
  /** The KV bucket, e.g. `${streamPrefix}FEED_LEADER`. */
  bucket: string;
  ttlMs: number;
  /** Copies of the bucket (NATS_REPLICAS); 1 when unset. */
  replicas?: number;
}

const key = "leader";

/**
 * The LeaderLease port on a JetStream KV bucket (nats-server 2.9: no per-key TTL). The bucket's
 * max age is the lease: the key `leader` holds the holder's id, `kv.create` takes a free key and
 * `kv.update` at the holder's last revision renews it (both compare-and-set on the subject's last
 * sequence), and a key nobody renews ages out of the bucket after `ttlMs`. The bucket is created
 * with the first holder's `ttlMs`; a bucket that exists keeps its own.
 */
export async function createNatsLeaderLease(
  nc: NatsConnection,
  options: NatsLeaderLeaseOptions,
): Promise<LeaderLease> {
  const kv = await unavailableOnError(
    openKvBucket(new Kvm(nc), options.bucket, options.ttlMs, options.replicas),
  );
  const self = randomBytes(9).toString("base64url");
  /** This holder's last revision of the key, while it believes it holds it. */
  let revision: number | undefined;

  async function renew(): Promise<boolean> {
    if (revision === undefined) return false;
    try {
      revision = await kv.update(key, self, revision);
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw unavailable(err);
      revision = undefined;
      return false;
    }
  }

  return {
    ttlMs: options.ttlMs,
    async acquire() {
      if (revision !== undefined && (await renew())) return true;
      try {
        revision = await kv.create(key, self);
        return true;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw unavailable(err);
        return false;
      }
    },
    renew,
    async release() {
      if (revision === undefined) return;
      const previousSeq = revision;
      revision = undefined;
      try {
        await kv.delete(key, { previousSeq });
      } catch (err) {
        // Someone else holds it already: there is nothing of ours to free.
        if (!isWrongLastSequence(err)) throw unavailable(err);
      }
    },
  };
}

function unavailable(err: unknown): AppError {
  return err instanceof AppError
    ? err
    : new AppError("unavailable", "leader lease unavailable", { cause: err });
}

async function unavailableOnError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw unavailable(err);
  }
}
