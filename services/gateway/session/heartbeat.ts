/** What the heartbeat needs of a session. */
export interface Beating {
  /** One beat: ping the peer, or close it when it stayed silent for two heartbeats. */
  beat(now: number): void;
}

/**
 * One heartbeat timer for every session of a gateway instead of one per socket: every
 * `heartbeatMs` each live session beats once (docs/protocol.md "Heartbeat"). The timer runs only
 * while some session is added.
 */
export interface Heartbeat {
  add(session: Beating): void;
  delete(session: Beating): void;
}

/** About how often the heartbeat timer fires: one slice of the sessions beats each time. */
const sliceMs = 100;

/**
 * The sessions are dealt round-robin into `heartbeatMs / sliceMs` slices and one slice beats per
 * tick, so each session still beats once every `heartbeatMs` but the pings (and the pongs they
 * bring back) are spread over the interval. Beating every session at once stalled the event
 * loop: 15,000 pings took ≈ 400 ms, and every live event due meanwhile waited behind them.
 */
export function createHeartbeat(heartbeatMs: number): Heartbeat {
  const slices: Set<Beating>[] = Array.from(
    { length: Math.max(1, Math.floor(heartbeatMs / sliceMs)) },
    () => new Set(),
  );
  const sliceOf = new Map<Beating, Set<Beating>>();
  /** The slice the next session joins. */
  let dealt = 0;
  /** The slice the next tick beats. */
  let due = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const slice = slices[due]!;
    due = (due + 1) % slices.length;
    const now = Date.now();
    // A beat may close its session, which deletes it from this slice: Set iteration allows that.
    for (const session of slice) session.beat(now);
  };
  return {
    add(session) {
      if (sliceOf.has(session)) return;
      const slice = slices[dealt]!;
      dealt = (dealt + 1) % slices.length;
      slice.add(session);
      sliceOf.set(session, slice);
      timer ??= setInterval(tick, heartbeatMs / slices.length);
    },
    delete(session) {
      const slice = sliceOf.get(session);
      if (slice === undefined) return;
      slice.delete(session);
      sliceOf.delete(session);
      if (sliceOf.size > 0 || timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
