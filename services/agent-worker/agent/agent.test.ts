import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { standings, teamForm } from "../../../shared/epl/standings.js";
import { AppError } from "../../../shared/errors.js";
import type { AgentEvent } from "../../../shared/protocol/agent-frames.js";
import { createTestPlatform } from "../testing/test-platform.js";
import { type AgentRunDeps, createAgent } from "./agent.js";
import type { ModelEvent, ModelProvider, ModelRequest } from "./model.js";
import { createOfflineProvider } from "./offline-provider.js";
import { getStandingsTool } from "./tools/standings.js";
import { getTeamFormTool } from "./tools/team-form.js";

// The tools' services over an in-memory store, shared by the file's tests.
const platform = await createTestPlatform();
after(() => platform.close());

const epl = loadDataset();
const scout = createAgent({
  name: "eplScoutAgent",
  instructions: "You scout clubs.\n\nFacts:\n- Form is read newest first.",
  tools: [getStandingsTool, getTeamFormTool],
});

function deps(provider: ModelProvider, overrides: Partial<AgentRunDeps> = {}): AgentRunDeps {
  return {
    provider,
    ctx: { userId: "u1", tier: "free", requestId: "r1", services: platform.services },
    maxSteps: 4,
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function run(input: string, runDeps: AgentRunDeps, agent = scout): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of agent.run({ input, userId: "u1", tier: "free" }, runDeps)) events.push(event);
  return events;
}

const textOf = (events: AgentEvent[]) =>
  events.flatMap((e) => (e.type === "agent.delta" ? [e.text] : [])).join("");
const terminals = (events: AgentEvent[]) =>
  events.filter((e) => e.type === "agent.done" || e.type === "agent.error");

/** A model that plays back scripted turns and keeps every request it got. */
function scripted(turns: ModelEvent[][]): ModelProvider & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    requests,
    async *stream(request) {
      requests.push(structuredClone(request));
      yield* turns[Math.min(requests.length - 1, turns.length - 1)]!;
    },
  };
}
const end = (stopReason: "end_turn" | "tool_use", outputTokens = 3): ModelEvent => ({
  type: "message_end",
  stopReason,
  usage: { inputTokens: 10, outputTokens },
});

describe("agent loop on the offline model", () => {
  const offline = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });

  test("calls the tools the question needs and answers with their figures", async () => {
    const events = await run("How do Arsenal and Chelsea compare?", deps(offline));
    const tools = events.filter((e) => e.type === "agent.tool");
    assert.deepEqual(
      tools.map((t) => `${t.name}:${t.status}`),
      [
        "getStandings:started",
        "getStandings:finished",
        "getTeamForm:started",
        "getTeamForm:finished",
        "getTeamForm:started",
        "getTeamForm:finished",
      ],
    );
    const table = standings(epl, "2025-26");
    const arsenal = table.find((r) => r.team === "Arsenal FC")!;
    const chelsea = teamForm(epl, "Chelsea FC", 5);
    const text = textOf(events);
    assert.match(text, new RegExp(`Arsenal are \\d+\\w\\w in 2025-26 with ${arsenal.points} points`));
    assert.ok(text.includes(`Chelsea have taken ${chelsea.points} of 15 points`), text);
    assert.equal(events.filter((e) => e.type === "agent.delta").length, 1, "no delay: one piece");
    const done = events.at(-1)!;
    assert.equal(done.type, "agent.done");
    assert.equal(terminals(events).length, 1);
    assert.ok(done.type === "agent.done" && done.usage.inputTokens > 0 && done.usage.outputTokens > 20);
  });

  test("with a token delay the answer streams word by word, the same text", async () => {
    const slow = createOfflineProvider({ dataset: epl, tokenDelayMs: 1 });
    const question = "How is Arsenal's form?";
    const streamed = await run(question, deps(slow));
    const deltas = streamed.filter((e) => e.type === "agent.delta");
    assert.ok(deltas.length > 20, `${deltas.length} deltas`);
    assert.ok(deltas.every((d) => d.type === "agent.delta" && d.text.trim().split(/\s+/).length === 1));
    assert.equal(textOf(streamed), textOf(await run(question, deps(offline))));
  });

  test("with one step allowed it answers without tools", async () => {
    const events = await run("How is Arsenal's form?", deps(offline, { maxSteps: 1 }));
    assert.equal(events.filter((e) => e.type === "agent.tool").length, 0);
    assert.deepEqual(events.at(-1)!.type, "agent.done");
    assert.ok(textOf(events).length > 0);
  });

  test("a cancelled run ends with exactly one agent.done cancelled", async () => {
    const slow = createOfflineProvider({ dataset: epl, tokenDelayMs: 5 });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    for await (const event of scout.run(
      { input: "Show me the table", userId: "u1", tier: "free" },
      deps(slow, { signal: controller.signal }),
    )) {
      events.push(event);
      if (event.type === "agent.delta") controller.abort();
    }
    assert.equal(events.filter((e) => e.type === "agent.delta").length, 1);
    assert.deepEqual(terminals(events), [events.at(-1)]);
    const last = events.at(-1);
    assert.equal(last?.type === "agent.done" ? last.stopReason : last?.type, "cancelled");
  });
});

describe("agent loop contract", () => {
  test("stops at the step cap: the last call may not use tools, and insisting ends the run", async () => {
    const model = scripted([
      [{ type: "tool_use", id: "t", name: "getStandings", input: {} }, end("tool_use")],
    ]);
    const events = await run("table?", deps(model, { maxSteps: 3 }));
    assert.equal(model.requests.length, 3);
    assert.deepEqual(
      model.requests.map((r) => r.toolChoice),
      ["auto", "auto", "none"],
    );
    assert.deepEqual(events.at(-1), {
      type: "agent.done",
      stopReason: "max_tokens",
      usage: { inputTokens: 30, outputTokens: 9 },
    });
  });

  test("bad tool input is a failed tool frame, and the error goes back to the model", async () => {
    const model = scripted([
      [
        { type: "tool_use", id: "a", name: "getTeamForm", input: { team: 42 } },
        { type: "tool_use", id: "b", name: "getTeamForm", input: { team: "Narnia FC" } },
        end("tool_use"),
      ],
      [{ type: "text", text: "Sorry." }, end("end_turn")],
    ]);
    const events = await run("form?", deps(model));
    const failed = events.filter((e) => e.type === "agent.tool" && e.status === "failed");
    assert.deepEqual(
      failed.map((e) => e.type === "agent.tool" && (e.output as { code: string }).code),
      ["bad_request", "not_found"],
    );
    const results = model.requests[1]!.messages.at(-1)!.content;
    assert.ok(Array.isArray(results));
    assert.deepEqual(
      results.map((b) => b.type === "tool_result" && [b.tool_use_id, b.is_error]),
      [
        ["a", true],
        ["b", true],
      ],
    );
    assert.match(JSON.stringify(results), /input\.team: Expected string/);
    assert.equal(events.at(-1)!.type, "agent.done");
  });

  test("a model fault ends the run with agent.error carrying its code", async () => {
    const failing: ModelProvider = {
      // biome-ignore lint/correctness/useYield: the model fails before its first event
      async *stream() {
        throw new AppError("unavailable", "the model is busy or unreachable; try again");
      },
    };
    const events = await run("hi", deps(failing));
    assert.deepEqual(events, [
      {
        type: "agent.error",
        code: "unavailable",
        message: "the model is busy or unreachable; try again",
        retryable: true,
      },
    ]);
  });
});
