import type { AgentEvent } from "../../shared/protocol/agent-frames.js";

/**
 * Writes one run's frames to the bus in order, merging consecutive text: deltas are held for at
 * most `coalesceMs` and go out as one `agent.delta`, which cuts the message count by an order of
 * magnitude at token rate. Any other frame first flushes the held text, so order is never changed.
 * Frames are emitted as soon as they are written, without waiting for the previous one to be
 * stored (`emit` keeps call order), so a run's frames share round trips to the bus.
 * After a failed emit nothing more is sent; `send`/`flush` reject and `failure` is set.
 */
export interface FrameWriter {
  delta(text: string): void;
  /** Held text, then `event`, sent now; a failure shows in `failure` and in the next `send`/`flush`. */
  frame(event: AgentEvent): void;
  /** Held text, then `event`; resolves once every frame so far is stored. */
  send(event: AgentEvent): Promise<void>;
  flush(): Promise<void>;
  readonly failure: unknown;
}

export function createFrameWriter(
  emit: (event: AgentEvent) => Promise<void>,
  coalesceMs: number,
): FrameWriter {
  let held = "";
  let timer: NodeJS.Timeout | undefined;
  let stored: Promise<void> = Promise.resolve();
  let failure: unknown;

  const enqueue = (event: AgentEvent) => {
    if (failure !== undefined) return;
    const done = emit(event);
    // A frame nobody awaits has no caller to reject to: record it for the next one.
    done.catch((err: unknown) => {
      failure ??= err;
    });
    // The chain itself never rejects: after a failure the worker may never await it again, and an
    // unhandled rejection would kill the process. `settled` reports the failure instead.
    stored = stored.then(() => done).catch(() => undefined);
  };
  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    if (held === "") return;
    const text = held;
    held = "";
    enqueue({ type: "agent.delta", text });
  };
  const settled = async () => {
    await stored;
    if (failure !== undefined) throw failure;
  };

  return {
    delta(text) {
      held += text;
      if (coalesceMs === 0) release();
      else timer ??= setTimeout(release, coalesceMs);
    },
    frame(event) {
      release();
      enqueue(event);
    },
    send(event) {
      release();
      enqueue(event);
      return settled();
    },
    flush() {
      release();
      return settled();
    },
    get failure() {
      return failure;
    },
  };
}
