/** What the heartbeat needs of a session. */
export interface Beating {
  /** One beat: ping the peer, or close it when it stayed silent for two heartbeats. */
  beat(now: number): void;
}

/**
 * One heartbeat timer for every session of a gateway instead of one per socket: every
 * `heartbeatMs` each live session beats once (PROTOCOL.md "Heartbeat"). The timer runs only
 * while some session is added.
 */
export interface Heartbeat {
  add(session: Beating): void;
  delete(session: Beating): void;
}

export function createHeartbeat(heartbeatMs: number): Heartbeat {
  const sessions = new Set<Beating>();
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const session of sessions) session.beat(now);
  };
  return {
    add(session) {
      sessions.add(session);
      timer ??= setInterval(sweep, heartbeatMs);
    },
    delete(session) {
      sessions.delete(session);
      if (sessions.size > 0 || timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
