import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { teamForm } from "../../../shared/epl/standings.js";
import { AppError } from "../../../shared/errors.js";
import type { AgentEvent } from "../../../shared/protocol/agent-frames.js";
import {
  errorBody,
  type FakeAnthropic,
  messageEnd,
  messageStart,
  ping,
  sseError,
  startFakeAnthropic,
  textBlock,
  textReply,
  toolUseBlock,
} from "../../../test/fakes/fake-anthropic.js";
import { createTestPlatform } from "../testing/test-platform.js";
import { createAgent } from "./agent.js";
import { createAnthropicProvider } from "./anthropic-provider.js";
import type { ModelEvent, ModelProvider, ModelRequest } from "./model.js";
import { getTeamFormTool } from "./tools/team-form.js";

// The tools' services over an in-memory store, shared by the file's tests.
const platform = await createTestPlatform();
after(() => platform.close());

const request: ModelRequest = {
  model: "claude-sonnet-5-5",
  system: "You are terse.",
  messages: [{ role: "user", content: "Say hello" }],
  tools: [],
  maxTokens: 64,
};

async function collect(
  provider: ModelProvider,
  signal = new AbortController().signal,
): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of provider.stream(request, signal)) events.push(event);
  return events;
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("Anthropic provider over a local Messages API", () => {
  let fake: FakeAnthropic;
  let provider: ModelProvider;

  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    provider = createAnthropicProvider({
      apiKey: "test-key",
      baseURL: fake.url,
      stallMs: 300,
      retryBaseMs: 10,
    });
  });

  test("streams text deltas in order and reports usage", async () => {
    fake.script(textReply(["Hello", ", ", "world"], { input: 21, output: 4 }));
    const events = await collect(provider);
    assert.deepEqual(events, [
      { type: "text", text: "Hello" },
      { type: "text", text: ", " },
      { type: "text", text: "world" },
      { type: "message_end", stopReason: "end_turn", usage: { inputTokens: 21, outputTokens: 4 } },
    ]);
    const sent = fake.requests[0]!;
    assert.equal(sent.headers["x-api-key"] ?? sent.headers.authorization?.replace("Bearer ", ""), "test-key");
    assert.equal(sent.body.stream, true);
    assert.equal(sent.body.system, "You are terse.");
    assert.equal(sent.body.max_tokens, 64);
    assert.equal(sent.body.tools, undefined);
  });

  test("a tool call assembled from input_json_delta fragments runs, and its result goes back", async () => {
    const agent = createAgent({
      name: "eplScoutAgent",
      instructions: "Scout.",
      tools: [getTeamFormTool],
      model: "claude-sonnet-5-5",
    });
    const epl = loadDataset();
    const expected = teamForm(epl, "Arsenal FC", 3);
    fake.script(
      {
        sse: [
          messageStart(30),
          ...textBlock(0, ["Checking Arsenal."]),
          ...toolUseBlock(1, "toolu_01", "getTeamForm", ['{"team": "Ars', 'enal", "cou', 'nt": 3}']),
          ...messageEnd("tool_use", 20),
        ],
      },
      (req) => {
        const last = req.body.messages.at(-1);
        const result = last.content[0];
        assert.equal(result.type, "tool_result");
        assert.equal(result.tool_use_id, "toolu_01");
        assert.equal(JSON.parse(result.content).points, expected.points);
        assert.deepEqual(req.body.messages[1].content[1], {
          type: "tool_use",
          id: "toolu_01",
          name: "getTeamForm",
          input: { team: "Arsenal", count: 3 },
        });
        return textReply([`Arsenal took ${expected.points} points.`], { input: 50, output: 7 });
      },
    );
    const events: AgentEvent[] = [];
    for await (const event of agent.run(
      { input: "How is Arsenal doing?", userId: "u1", tier: "free" },
      {
        provider,
        ctx: { userId: "u1", tier: "free", requestId: "r1", services: platform.services },
        maxSteps: 4,
        signal: new AbortController().signal,
      },
    )) {
      events.push(event);
    }
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0]!.body.tools[0].name, "getTeamForm");
    assert.equal(fake.requests[0]!.body.tools[0].input_schema.type, "object");
    const tools = events.filter((e) => e.type === "agent.tool");
    assert.deepEqual(
      tools.map((t) => [t.status, t.input]),
      [
        ["started", { team: "Arsenal", count: 3 }],
        ["finished", undefined],
      ],
    );
    const text = events.flatMap((e) => (e.type === "agent.delta" ? [e.text] : [])).join("");
    assert.equal(text, `Checking Arsenal.Arsenal took ${expected.points} points.`);
    assert.deepEqual(events.at(-1), {
      type: "agent.done",
      stopReason: "end_turn",
      usage: { inputTokens: 80, outputTokens: 27 },
    });
  });

  test("a 429 is retried after the delay the API asks for, then succeeds", async () => {
    fake.script(
      { status: 429, body: errorBody("rate_limit_error", "slow down"), headers: { "retry-after-ms": "20" } },
      textReply(["ok"]),
    );
    const events = await collect(provider);
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(events[0], { type: "text", text: "ok" });
  });

  test("a 400 is not retried and fails as internal", async () => {
    fake.script({ status: 400, body: errorBody("invalid_request_error", "bad") }, textReply(["never"]));
    await assert.rejects(collect(provider), (err: AppError) => err.code === "internal" && !err.retryable);
    assert.equal(fake.requests.length, 1);
  });

  test("an error event before any token is retried; after tokens it fails retryable without a retry", async () => {
    fake.script(
      { sse: [messageStart(5), ping, sseError("overloaded_error", "Overloaded")] },
      textReply(["fine"]),
    );
    const retried = await collect(provider);
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(retried[0], { type: "text", text: "fine" });

    fake.reset();
    fake.script(
      { sse: [messageStart(5), ...textBlock(0, ["Half an"]), sseError("overloaded_error", "Overloaded")] },
      textReply(["never"]),
    );
    const seen: ModelEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of provider.stream(request, new AbortController().signal)) seen.push(event);
      })(),
      (err: AppError) => err instanceof AppError && err.code === "unavailable" && err.retryable,
    );
    assert.deepEqual(seen, [{ type: "text", text: "Half an" }]);
    assert.equal(fake.requests.length, 1);
  });

  test("the watchdog aborts a stalled stream: retried before tokens, unavailable after", async () => {
    fake.script({ sse: [messageStart(5), { stall: true }] }, textReply(["recovered"]));
    const recovered = await collect(provider);
    assert.deepEqual(recovered[0], { type: "text", text: "recovered" });
    assert.equal(fake.requests.length, 2);
    await waitFor(() => fake.abandoned >= 1);

    const abandonedBefore = fake.abandoned;
    fake.script({ sse: [messageStart(5), ...textBlock(0, ["The answer"]).slice(0, 2), { stall: true }] });
    const started = Date.now();
    await assert.rejects(collect(provider), (err: AppError) => err.code === "unavailable" && err.retryable);
    assert.ok(Date.now() - started >= 300, "waited for the stall window");
    await waitFor(() => fake.abandoned > abandonedBefore);
  });

  test("aborting the signal mid-stream stops the call and closes the HTTP stream", async () => {
    fake.script({ sse: [messageStart(5), ...textBlock(0, ["first"]).slice(0, 2), { pauseMs: 5000 }] });
    const abandonedBefore = fake.abandoned;
    const controller = new AbortController();
    const seen: ModelEvent[] = [];
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const event of provider.stream(request, controller.signal)) {
        seen.push(event);
        controller.abort();
      }
    });
    assert.deepEqual(seen, [{ type: "text", text: "first" }]);
    assert.ok(Date.now() - started < 1000, "stopped promptly");
    await waitFor(() => fake.abandoned > abandonedBefore);
  });
});
