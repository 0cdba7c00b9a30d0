/**
 * Which user started each agent run this gateway has seen, so `agent.resume` and duplicate runs
 * can be refused to anyone else. Bounded: entries live `ttlMs` (the run's output lifetime) and the
 * oldest go first beyond `maxEntries`.
 *
 * A resume may reach a gateway that never saw the run. The run-queue port cannot say who owns a
 * run, so there the requestId itself is the capability: it is a random UUIDv4 (122 random bits),
 * handed only to its owner, and the first user to resume it here is recorded as its owner.
 */
export interface RunOwners {
  record(requestId: string, userId: string): void;
  /** The recorded owner, or undefined when this gateway has not seen the run. */
  ownerOf(requestId: string): string | undefined;
}

export function createRunOwners(options: { ttlMs: number; maxEntries: number }): RunOwners {
  // Map iteration order is insertion order: the first entries are the oldest.
  const owners = new Map<string, { userId: string; expiresAt: number }>();

  const evict = (now: number) => {
    for (const [requestId, entry] of owners) {
      if (entry.expiresAt > now && owners.size <= options.maxEntries) return;
      owners.delete(requestId);
    }
  };

  return {
    record(requestId, userId) {
      const now = Date.now();
      owners.delete(requestId);
      owners.set(requestId, { userId, expiresAt: now + options.ttlMs });
      evict(now);
    },
    ownerOf(requestId) {
      const entry = owners.get(requestId);
      if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
      return entry.userId;
    },
  };
}
