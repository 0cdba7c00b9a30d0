/**
 * Open sockets per user on this gateway, bounded (docs/protocol.md "Limits"): each socket costs
 * memory, a heartbeat and a place in every fan-out, so one user must not hold hundreds. Counted
 * in this process only: the cap is per gateway, and a user's sockets on a gateway that died are
 * gone with it, so nothing shared can be left counting sockets that no longer exist.
 */
export interface SocketCap {
  /** Takes a place for one more socket of `userId`; false, and nothing taken, when all are held. */
  acquire(userId: string): boolean;
  /** Gives back a place `acquire` took; exactly once per successful `acquire`. */
  release(userId: string): void;
  /** Sockets `userId` holds now. */
  held(userId: string): number;
  readonly maxPerUser: number;
}

export function createSocketCap(maxPerUser: number): SocketCap {
  const counts = new Map<string, number>();
  return {
    maxPerUser,
    acquire(userId) {
      const count = counts.get(userId) ?? 0;
      if (count >= maxPerUser) return false;
      counts.set(userId, count + 1);
      return true;
    },
    release(userId) {
      const count = counts.get(userId) ?? 0;
      // Users without sockets leave no entry behind: the map holds only users connected now.
      if (count <= 1) counts.delete(userId);
      else counts.set(userId, count - 1);
    },
    held: (userId) => counts.get(userId) ?? 0,
  };
}
