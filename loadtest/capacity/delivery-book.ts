/**
 * Live delivery as the sockets saw it, checked against the LIVE stream itself. Events carry no
 * timestamp on the socket (docs/protocol.md), so each client process also follows the stream
 * (`observed`, from the same adapter the gateways use): an event's publish time comes from there,
 * and so does the list of every seq a channel carried, which tells a gap from a quiet channel
 * (seqs are strictly increasing per channel but not contiguous). A socket may see an event
 * before the process's own follower does; such receipts wait until the follower catches up.
 */
export interface SocketChannel {
  /** The last seq this socket had on the channel (its position at subscribe time to begin with). */
  lastSeq: number;
  /** Seqs up to here were already counted missing by `tail`. */
  countedThrough: number;
}

export interface DeliveryResult {
  /** ms from publish to receipt, one per event received on a checked channel. */
  latencyMs: Float64Array;
  /** Events a socket should have received and did not. */
  gaps: number;
  /** Events a socket skipped because the gateway conflated its market events (docs/protocol.md). */
  conflated: number;
  /** Receipts of a seq at or below the socket's last one on the channel (duplicates, reordering). */
  outOfOrder: number;
}

interface ChannelLog {
  seqs: number[];
  /** Publish time (epoch ms) of each seq. */
  publishedAt: number[];
  /** When this process's follower had it (epoch ms). */
  seenAt: number[];
}

interface Pending {
  state: SocketChannel;
  prev: number;
  seq: number;
  receivedAt: number;
  conflated: boolean;
}

export interface DeliveryBook {
  /** An event of `channel` (`scores` for every `match.*` topic, `market.<id>`) as the follower saw it. */
  observed(channel: string, seq: number, publishedAt: number, seenAt: number): void;
  /** A socket now subscribed to `channel` from `seq` on. */
  track(seq: number): SocketChannel;
  /** Whether `channel` is checked (the follower carries it). */
  checks(channel: string): boolean;
  received(state: SocketChannel, channel: string, seq: number, receivedAt: number, conflated: boolean): void;
  /** Counts as missing every event the follower had `graceMs` before `now` that a socket has not received. */
  tail(states: readonly { channel: string; state: SocketChannel }[], now: number, graceMs: number): void;
  /** What was recorded since the last `reset`. */
  result(): DeliveryResult;
  reset(): void;
}

/** Index of the first element of `sorted` above `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createDeliveryBook(): DeliveryBook {
  const logs = new Map<string, ChannelLog>();
  const pending = new Map<string, Pending[]>();
  let latency = new Float64Array(1 << 14);
  let count = 0;
  let gaps = 0;
  let conflated = 0;
  let outOfOrder = 0;

  const logOf = (channel: string) => {
    let log = logs.get(channel);
    if (log === undefined) {
      log = { seqs: [], publishedAt: [], seenAt: [] };
      logs.set(channel, log);
    }
    return log;
  };
  /** Events of the log with seq in (after, upTo). */
  const between = (log: ChannelLog, after: number, upTo: number) =>
    Math.max(0, upperBound(log.seqs, upTo - 1) - upperBound(log.seqs, after));

  const settle = (log: ChannelLog, p: Pending) => {
    const i = upperBound(log.seqs, p.seq) - 1;
    if (i >= 0 && log.seqs[i] === p.seq) {
      if (count === latency.length) {
        const grown = new Float64Array(latency.length * 2);
        grown.set(latency);
        latency = grown;
      }
      latency[count++] = p.receivedAt - log.publishedAt[i]!;
    }
    const missed = between(log, Math.max(p.prev, p.state.countedThrough), p.seq);
    if (p.conflated) conflated += missed;
    else gaps += missed;
  };

  return {
    observed(channel, seq, publishedAt, seenAt) {
      const log = logOf(channel);
      log.seqs.push(seq);
      log.publishedAt.push(publishedAt);
      log.seenAt.push(seenAt);
      const waiting = pending.get(channel);
      while (waiting !== undefined && waiting.length > 0 && waiting[0]!.seq <= seq)
        settle(log, waiting.shift()!);
    },
    track(seq) {
      return { lastSeq: seq, countedThrough: seq };
    },
    checks(channel) {
      return channel === "scores" || channel.startsWith("market.");
    },
    received(state, channel, seq, receivedAt, isConflated) {
      if (seq <= state.lastSeq) {
        outOfOrder += 1;
        return;
      }
      const p: Pending = { state, prev: state.lastSeq, seq, receivedAt, conflated: isConflated };
      state.lastSeq = seq;
      const log = logOf(channel);
      if ((log.seqs.at(-1) ?? 0) >= seq) settle(log, p);
      else {
        const waiting = pending.get(channel) ?? [];
        waiting.push(p);
        pending.set(channel, waiting);
      }
    },
    tail(states, now, graceMs) {
      for (const { channel, state } of states) {
        const log = logs.get(channel);
        if (log === undefined) continue;
        const due = upperBound(log.seenAt, now - graceMs);
        if (due === 0) continue;
        const cutoff = log.seqs[due - 1]!;
        const from = Math.max(state.lastSeq, state.countedThrough);
        if (cutoff <= from) continue;
        gaps += between(log, from, cutoff + 1);
        state.countedThrough = cutoff;
      }
    },
    result() {
      return { latencyMs: latency.slice(0, count), gaps, conflated, outOfOrder };
    },
    reset() {
      count = 0;
      gaps = 0;
      conflated = 0;
      outOfOrder = 0;
    },
  };
}
