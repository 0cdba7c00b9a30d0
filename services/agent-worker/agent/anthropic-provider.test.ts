import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { teamForm } from "../../../shared/epl/standings.js";
import { AppError } from "../../../shared/errors.js";
import type { AgentEvent } from "../../../shared/protocol/agent-frames.js";
import {
  errorBody,
  type FakeAnthropic,
  type FakeReply,
  type FakeStep,
  messageEnd,
  messageStart,
  ping,
  type RecordedRequest,
  sseError,
  startFakeAnthropic,
  textBlock,
  textReply,
  toolUseBlock,
} from "../../../test/fakes/fake-anthropic.js";
import { until } from "../../../test/support/polling.js";
import { createTestPlatform } from "../testing/test-platform.js";
import { createAgent } from "./agent.js";
import { createAnthropicProvider } from "./anthropic-provider.js";
import { modelContract } from "./model.contract.js";
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

/**
 * A scripted model behind the fake API, answering as the contract asks: it calls the first tool
 * offered unless told not to (`tool_choice` none), answers a tool result by quoting it, and stops
 * at `max_tokens` (a word a token). Its text pauses after the first word, as a model's does, so an
 * abort lands mid-stream.
 */
function scriptedModel(req: RecordedRequest): FakeReply {
  const body = req.body;
  const inputTokens = Math.ceil(JSON.stringify(body.messages).length / 4);
  const last = body.messages.at(-1);
  const results = Array.isArray(last.content)
    ? last.content.filter((b: { type: string }) => b.type === "tool_result")
    : [];
  if (results.length === 0 && body.tools?.length > 0 && body.tool_choice?.type !== "none") {
    return {
      sse: [
        messageStart(inputTokens),
        ...textBlock(0, ["Checking ", "Arsenal."]),
        ...toolUseBlock(1, "toolu_01", body.tools[0].name, ['{"team": "Ars', 'enal", "cou', 'nt": 3}']),
        ...messageEnd("tool_use", 20),
      ],
    };
  }
  return textAnswer(inputTokens, scriptedAnswer(body), body.max_tokens);
}

function scriptedAnswer(body: RecordedRequest["body"]): string[] {
  const last = body.messages.at(-1);
  const results = Array.isArray(last.content)
    ? last.content.filter((b: { type: string }) => b.type === "tool_result")
    : [];
  if (results.length > 0)
    return ["The ", "tool ", "said: ", ...results.map((r: { content: string }) => r.content)];
  return ["Arsenal ", "are ", "in ", "fine ", "form."];
}

function textAnswer(inputTokens: number, words: string[], maxTokens: number): FakeReply {
  const kept = words.slice(0, maxTokens);
  const [start, ...text] = textBlock(0, kept) as [FakeStep, FakeStep, ...FakeStep[]];
  const [first, ...rest] = text as [FakeStep, ...FakeStep[]];
  return {
    sse: [
      messageStart(inputTokens),
      start,
      first,
      { pauseMs: 50 },
      ...rest,
      ...messageEnd(kept.length < words.length ? "max_tokens" : "end_turn", kept.length),
    ],
  };
}

modelContract("Anthropic over a local Messages API", async () => {
  const fake = await startFakeAnthropic();
  fake.answerWith(scriptedModel);
  return {
    provider: createAnthropicProvider({ apiKey: "test-key", baseURL: fake.url, stallMs: 2000 }),
    wholeAnswer: async (request) =>
      scriptedAnswer({ messages: request.messages }).slice(0, request.maxTokens).join(""),
    close: () => fake.close(),
  };
});

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
    await until(() => fake.abandoned >= 1, 2000, "the stalled stream abandoned");

    const abandonedBefore = fake.abandoned;
    fake.script({ sse: [messageStart(5), ...textBlock(0, ["The answer"]).slice(0, 2), { stall: true }] });
    const started = Date.now();
    await assert.rejects(collect(provider), (err: AppError) => err.code === "unavailable" && err.retryable);
    assert.ok(Date.now() - started >= 300, "waited for the stall window");
    await until(() => fake.abandoned > abandonedBefore, 2000, "the HTTP stream closed");
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
    await until(() => fake.abandoned > abandonedBefore, 2000, "the HTTP stream closed");
  });
});
