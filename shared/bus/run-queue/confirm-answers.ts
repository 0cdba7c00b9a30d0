import { Type as T } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { ConfirmAnswer } from "./run-queue.js";

/** The answer's payload on the bus (`<prefix>agent.answer.<requestId>`), versioned. */
const AnswerPayload = T.Object(
  { v: T.Literal(1), confirmId: T.String({ minLength: 1, maxLength: 64 }), accept: T.Boolean() },
  { additionalProperties: false },
);
const answerPayload = TypeCompiler.Compile(AnswerPayload);

export function encodeAnswer(answer: ConfirmAnswer): string {
  return JSON.stringify({ v: 1, confirmId: answer.confirmId, accept: answer.accept });
}

/** The answer in a bus payload, or undefined for one that breaks the schema (it is dropped). */
export function decodeAnswer(text: string): ConfirmAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!answerPayload.Check(value)) return undefined;
  return { confirmId: value.confirmId, accept: value.accept };
}

/**
 * The runs' waits for confirmation answers in one worker process (the `RunJob.answer` side of the
 * run-queue contract). Bounded by the runs in progress: a wait is removed when it is answered or
 * its signal aborts, and an answer nobody waits for is dropped, never kept.
 */
export function createAnswerWaits() {
  /** requestId → confirmId → the wait's resolver. */
  const waits = new Map<string, Map<string, (accept: boolean) => void>>();

  function remove(requestId: string, confirmId: string) {
    const run = waits.get(requestId);
    run?.delete(confirmId);
    if (run?.size === 0) waits.delete(requestId);
  }

  return {
    wait(requestId: string, confirmId: string, signal: AbortSignal): Promise<boolean> {
      return new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => {
          remove(requestId, confirmId);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        const run = waits.get(requestId) ?? new Map();
        run.set(confirmId, (accept: boolean) => {
          signal.removeEventListener("abort", onAbort);
          remove(requestId, confirmId);
          resolve(accept);
        });
        waits.set(requestId, run);
      });
    },
    deliver(requestId: string, answer: ConfirmAnswer): void {
      waits.get(requestId)?.get(answer.confirmId)?.(answer.accept);
    },
  };
}
