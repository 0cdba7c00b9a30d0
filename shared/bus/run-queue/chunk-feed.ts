import { AppError } from "../../errors.js";
import type { AgentChunk } from "../../protocol/agent-frames.js";
import { isTerminal } from "../../protocol/agent-frames.js";
import type { RunWatch } from "./run-queue.js";

/**
 * The reader side of a `RunWatch`: chunks are pushed in any order and any number of times (live
 * delivery racing a replay), and come out exactly once, in seq order, from `after + 1` up to the
 * terminal chunk. Both run-queue adapters build their watches on it.
 */
export interface ChunkFeed extends RunWatch {
  /**
   * Accepts a chunk; duplicates and chunks at or below the cursor are dropped (a terminal one among
   * them ends the feed: a watch from the last seq of a finished run ends at once).
   */
  push(chunk: AgentChunk): void;
  /** Ends the iterator with `error` (after the chunks already in order). */
  fail(error: Error): void;
  /** The seq the reader needs next. */
  readonly nextSeq: number;
  /** True when chunks beyond `nextSeq` are held back because `nextSeq` itself has not arrived. */
  readonly hasGap: boolean;
  readonly ended: boolean;
}

/** Chunks a slow reader may leave unread before the watch fails with `overloaded`. */
export const maxUnreadChunks = 4096;

export function createChunkFeed(after: number, onClose: () => void): ChunkFeed {
  let nextSeq = after + 1;
  const held = new Map<number, AgentChunk>();
  const ready: AgentChunk[] = [];
  let waiter: (() => void) | undefined;
  let ended = false;
  let failure: Error | undefined;

  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };

  const end = () => {
    if (ended) return;
    ended = true;
    held.clear();
    onClose();
    wake();
  };

  const fail = (error: Error) => {
    if (ended) return;
    failure = error;
    end();
  };

  const push = (chunk: AgentChunk) => {
    if (ended || held.has(chunk.seq)) return;
    if (chunk.seq < nextSeq) {
      // A terminal chunk at or below `after`: the run is over and the reader has all of it.
      if (isTerminal(chunk)) end();
      return;
    }
    held.set(chunk.seq, chunk);
    for (let next = held.get(nextSeq); next !== undefined; next = held.get(nextSeq)) {
      held.delete(nextSeq);
      ready.push(next);
      nextSeq += 1;
      if (isTerminal(next)) {
        end();
        return;
      }
    }
    if (ready.length + held.size > maxUnreadChunks) {
      fail(new AppError("overloaded", "run watch fell too far behind; resume from the last seq"));
      return;
    }
    wake();
  };

  async function* iterate(): AsyncGenerator<AgentChunk> {
    try {
      for (;;) {
        const chunk = ready.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (ended) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
    } finally {
      if (!ended) end();
    }
  }

  const iterator = iterate();
  return {
    push,
    fail,
    get nextSeq() {
      return nextSeq;
    },
    get hasGap() {
      return held.size > 0;
    },
    get ended() {
      return ended;
    },
    close() {
      // Chunks already in order are dropped too: a closed watch yields nothing more.
      ready.length = 0;
      end();
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}
