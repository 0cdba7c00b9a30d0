import { type Static, Type as T } from "@sinclair/typebox";
import { clientFrameSchemas } from "./client-frames.js";

/**
 * `POST /api/agents/:agent/runs` (docs/protocol.md "HTTP"): the `agent.run` frame's `input` and
 * `context`, derived from it so the two transports validate a run alike. The agent is the path's.
 */
export const AgentRunBody = T.Pick(clientFrameSchemas["agent.run"], ["input", "context"]);
export type AgentRunBody = Static<typeof AgentRunBody>;
