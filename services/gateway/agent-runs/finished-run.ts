import type { RunWatch } from "../../../shared/bus/run-queue/run-queue.js";
import { AppError } from "../../../shared/errors.js";
import type { AgentToolEvent } from "../../../shared/protocol/agent-frames.js";
import type { FinishedRun } from "../../../shared/protocol/server-frames.js";

type ToolCall = Omit<FinishedRun["toolCalls"][number], "status"> & { status: AgentToolEvent["status"] };

/**
 * Reads a run's stream to its end and folds it into the JSON answer of
 * `POST /api/agents/:agent/runs`: the text, and each tool call that finished or failed with its
 * input and output. `agent.restart` discards what the failed attempt produced; `agent.error` is
 * thrown as its `AppError`; a stream that ends without a terminal frame is `unavailable`.
 */
export async function collectRun(requestId: string, watch: RunWatch): Promise<FinishedRun> {
  let text = "";
  let calls = new Map<string, ToolCall>();
  for await (const chunk of watch) {
    switch (chunk.type) {
      case "agent.delta":
        text += chunk.text;
        break;
      case "agent.tool": {
        const call = calls.get(chunk.callId) ?? {
          callId: chunk.callId,
          name: chunk.name,
          status: chunk.status,
        };
        call.status = chunk.status;
        if (chunk.input !== undefined) call.input = chunk.input;
        if (chunk.output !== undefined) call.output = chunk.output;
        calls.set(chunk.callId, call);
        break;
      }
      case "agent.restart":
        text = "";
        calls = new Map();
        break;
      case "agent.done":
        return {
          requestId,
          text,
          toolCalls: [...calls.values()].filter(
            (call): call is FinishedRun["toolCalls"][number] => call.status !== "started",
          ),
          usage: chunk.usage,
          stopReason: chunk.stopReason,
        };
      case "agent.error":
        throw AppError.from(chunk);
    }
  }
  throw new AppError("unavailable", "the run's stream ended before the run finished; try again");
}
