import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import type { ModelEvent, ModelProvider, ModelRequest, ToolUseBlock } from "./model.js";
import type { ToolServices } from "./tool.js";
import { getTeamFormTool } from "./tools/team-form.js";

/** An adapter as the contract drives it; `close` releases what `open` started. */
export interface ModelUnderTest {
  provider: ModelProvider;
  /** The text the model writes for `request` in one piece: what its streamed deltas must join to. */
  wholeAnswer(request: ModelRequest): Promise<string>;
  close(): Promise<void>;
}

const question = "How is Arsenal doing over their last 3 matches?";
const formTool = {
  name: getTeamFormTool.name,
  description: getTeamFormTool.description,
  input_schema: getTeamFormTool.input as unknown as Record<string, unknown>,
};

/** A step as the agent loop (agent.ts) sends it: the user's question, the tools on offer. */
function step(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: "claude-sonnet-5-5",
    system: "You answer questions about the Premier League.",
    messages: [{ role: "user", content: question }],
    tools: [formTool],
    maxTokens: 1024,
    ...overrides,
  };
}

async function collect(provider: ModelProvider, request: ModelRequest): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of provider.stream(request, new AbortController().signal)) events.push(event);
  return events;
}

const textOf = (events: ModelEvent[]) => events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");

/** Exactly one `message_end`, last: the agent loop reads the stop reason and usage from it. */
function endOf(events: ModelEvent[]): Extract<ModelEvent, { type: "message_end" }> {
  const end = events.at(-1);
  assert.ok(end?.type === "message_end", "the stream ends with message_end");
  assert.equal(events.filter((e) => e.type === "message_end").length, 1, "exactly one message_end");
  for (const count of [end.usage.inputTokens, end.usage.outputTokens]) {
    assert.ok(Number.isInteger(count) && count >= 0, `usage counts are whole numbers, got ${count}`);
  }
  return end;
}

/**
 * The ModelProvider contract (model.ts) as the agent loop (agent.ts) relies on it, run against an
 * adapter. The question and tool are fixed here; each adapter answers them as its model would.
 */
export function modelContract(name: string, open: () => Promise<ModelUnderTest>): void {
  describe(`ModelProvider contract: ${name}`, () => {
    let under: ModelUnderTest | undefined;
    after(() => under?.close());
    const setup = async () => {
      under ??= await open();
      return under;
    };

    test("streams a text answer in order, then one message_end with this call's usage, then ends", async () => {
      const { provider, wholeAnswer } = await setup();
      const request = step({ tools: [] });
      const events = await collect(provider, request);
      const end = endOf(events);
      assert.ok(events.slice(0, -1).every((e) => e.type === "text"));
      assert.ok(events.length > 2, "the answer streams in several deltas");
      assert.equal(textOf(events), await wholeAnswer(request));
      assert.equal(end.stopReason, "end_turn");
      assert.ok(end.usage.inputTokens > 0 && end.usage.outputTokens > 0, "usage counts the call");
    });

    test("asks for a tool with an id and a parsed JSON input the tool runs with", async () => {
      const { provider } = await setup();
      const events = await collect(provider, step());
      assert.equal(endOf(events).stopReason, "tool_use");
      const calls = events.filter((e) => e.type === "tool_use");
      assert.ok(calls.length > 0, "the model asks for the tool");
      assert.equal(new Set(calls.map((c) => c.id)).size, calls.length, "call ids are unique");
      for (const call of calls) {
        assert.ok(typeof call.id === "string" && call.id.length > 0);
        assert.equal(call.name, formTool.name);
        assert.deepEqual(JSON.parse(JSON.stringify(call.input)), call.input, "the input is plain JSON");
        // Input fragments, where an adapter streams them, come before the call and add up to it.
        const fragments = events.filter((e) => e.type === "tool_input_delta" && e.id === call.id);
        assert.ok(fragments.every((f) => events.indexOf(f) < events.indexOf(call)));
        if (fragments.length > 0) {
          const json = fragments.map((f) => (f.type === "tool_input_delta" ? f.partialJson : "")).join("");
          assert.deepEqual(JSON.parse(json), call.input);
        }
        const outcome = await getTeamFormTool.call(call.input, toolContext(call.id));
        assert.ok(outcome.ok, `the tool runs with the model's input: ${JSON.stringify(outcome)}`);
      }
    });

    test("takes the tool results back and continues with an answer grounded in them", async () => {
      const { provider } = await setup();
      const request = step();
      const first = await collect(provider, request);
      // The conversation exactly as the agent loop grows it: the assistant turn, then the results.
      const text = textOf(first);
      const calls: ToolUseBlock[] = first.flatMap((e) =>
        e.type === "tool_use" ? [{ type: "tool_use", id: e.id, name: e.name, input: e.input }] : [],
      );
      const results = [];
      const forms: string[] = [];
      for (const call of calls) {
        const outcome = await getTeamFormTool.call(call.input, toolContext(call.id));
        assert.ok(outcome.ok);
        forms.push((outcome.output as { form: string }).form);
        results.push({
          type: "tool_result" as const,
          tool_use_id: call.id,
          content: JSON.stringify(outcome.output),
        });
      }
      request.messages.push(
        { role: "assistant", content: [...(text ? [{ type: "text" as const, text }] : []), ...calls] },
        { role: "user", content: results },
      );
      const second = await collect(provider, request);
      assert.equal(endOf(second).stopReason, "end_turn");
      assert.ok(!second.some((e) => e.type === "tool_use"), "no tool asked for again");
      for (const form of forms) assert.match(textOf(second), new RegExp(form), "the answer uses the result");
    });

    test("tool choice none: answers in text, asking for no tool", async () => {
      const { provider } = await setup();
      const events = await collect(provider, step({ toolChoice: "none" }));
      assert.equal(endOf(events).stopReason, "end_turn");
      assert.ok(!events.some((e) => e.type === "tool_use" || e.type === "tool_input_delta"));
      assert.ok(textOf(events).length > 0);
    });

    test("an answer cut off at maxTokens ends with max_tokens", async () => {
      const { provider } = await setup();
      const events = await collect(provider, step({ tools: [], maxTokens: 2 }));
      const end = endOf(events);
      assert.equal(end.stopReason, "max_tokens");
      assert.ok(end.usage.outputTokens <= 2, "no more output than allowed");
    });

    test("one instance serves concurrent calls, each answered as if alone", async () => {
      const { provider } = await setup();
      const alone = [await collect(provider, step({ tools: [] })), await collect(provider, step())];
      const together = await Promise.all([collect(provider, step({ tools: [] })), collect(provider, step())]);
      assert.deepEqual(together, alone);
    });

    test("aborting mid-stream stops the call promptly: the iterable throws, never ends normally", async () => {
      const { provider } = await setup();
      const controller = new AbortController();
      const seen: ModelEvent[] = [];
      let abortedAt = 0;
      await assert.rejects(async () => {
        for await (const event of provider.stream(step({ tools: [] }), controller.signal)) {
          seen.push(event);
          abortedAt = Date.now();
          controller.abort(new Error("the user cancelled"));
        }
      });
      assert.equal(seen.length, 1, "nothing is yielded after the abort");
      assert.ok(Date.now() - abortedAt < 1000, "stopped promptly");
    });

    test("a signal aborted before the call: throws without yielding", async () => {
      const { provider } = await setup();
      const seen: ModelEvent[] = [];
      await assert.rejects(async () => {
        for await (const event of provider.stream(step(), AbortSignal.abort())) seen.push(event);
      });
      assert.deepEqual(seen, []);
    });
  });
}

/**
 * getTeamForm reads only the dataset, so its context needs no store or exchange (whose in-memory
 * database would cost the suite seconds to start).
 */
const services = { epl: loadDataset() } as Pick<ToolServices, "epl"> as ToolServices;

function toolContext(callId: string) {
  return {
    userId: "contract-user",
    tier: "free" as const,
    requestId: "contract",
    services,
    signal: new AbortController().signal,
    callId,
    run: { stakedCredits: 0, tradeCalls: 0 },
    progress() {},
  };
}
