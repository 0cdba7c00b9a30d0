import { abortError, type ModelProvider } from "../agent/model.js";

export interface GatedProvider {
  provider: ModelProvider;
  /** Model calls waiting at the gate now. */
  readonly waiting: number;
  /** Lets every call, waiting or to come, answer at once. */
  open(): void;
}

/**
 * A model that holds every call until the test opens its gate, then answers one short text:
 * runs that keep their worker's slots busy for as long as a test needs (an abort ends the wait).
 */
export function createGatedProvider(): GatedProvider {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let waiting = 0;
  return {
    get waiting() {
      return waiting;
    },
    open,
    provider: {
      async *stream(_request, signal) {
        waiting += 1;
        try {
          await new Promise<void>((resolve, reject) => {
            if (signal.aborted) reject(abortError(signal));
            signal.addEventListener("abort", () => reject(abortError(signal)), { once: true });
            void gate.then(resolve);
          });
        } finally {
          waiting -= 1;
        }
        yield { type: "text", text: "released" };
        yield { type: "message_end", stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 1 } };
      },
    },
  };
}
