import type { AgentEvent } from "../../shared/protocol/agent-frames.js";

/**
 * Writes one run's frames to the bus in order, merging consecutive text: deltas are held for at
 * most `coalesceMs` and go out as one `agent.delta`, which cuts the message count by an order of
 * magnitude at token rate. Any other frame first flushes the held text, so order is never changed.
 * After a failed emit nothing more is sent; `send`/`flush` reject and `failure` is set.
 */
export interface FrameWriter {
  delta(text: string): void;
  /** Held text, then `event`; resolves once both are stored. */
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
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const enqueue = (event: AgentEvent) => {
    chain = chain.then(() => emit(event));
    // A flush fired by the timer has no caller to reject to: record it for the next one.
    chain.catch((err: unknown) => {
      failure ??= err;
    });
  };
  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    if (held === "") return;
    const text = held;
    held = "";
    enqueue({ type: "agent.delta", text });
  };

  return {
    delta(text) {
      held += text;
      if (coalesceMs === 0) release();
      else timer ??= setTimeout(release, coalesceMs);
    },
    async send(event) {
      release();
      enqueue(event);
      await chain;
    },
    async flush() {
      release();
      await chain;
    },
    get failure() {
      return failure;
    },
  };
}
