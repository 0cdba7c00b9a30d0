import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../../shared/epl/dataset.js";
import { modelContract } from "./model.contract.js";
import type { ModelEvent, ModelRequest } from "./model.js";
import { countTokens } from "./offline/words.js";
import { createOfflineProvider } from "./offline-provider.js";

const epl = loadDataset();

modelContract("offline", async () => {
  // A token delay streams word by word, as a deployment does; without one the same words arrive whole.
  const whole = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
  return {
    provider: createOfflineProvider({ dataset: epl, tokenDelayMs: 1 }),
    async wholeAnswer(request) {
      let text = "";
      for await (const event of whole.stream(request, new AbortController().signal)) {
        if (event.type === "text") text += event.text;
      }
      return text;
    },
    close: async () => {},
  };
});

async function stepOf(request: ModelRequest): Promise<ModelEvent[]> {
  const provider = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
  const events: ModelEvent[] = [];
  for await (const event of provider.stream(request, new AbortController().signal)) events.push(event);
  return events;
}

const inputTokensOf = (events: ModelEvent[]) => {
  const end = events.at(-1);
  assert.equal(end?.type, "message_end");
  return end.type === "message_end" ? end.usage.inputTokens : 0;
};

test("usage counts every word a step sends, as one count of the whole request would, at every step", async () => {
  const tools = [
    {
      name: "getStandings",
      description: "The league table.",
      input_schema: { type: "object", properties: { season: { type: "string" } } },
    },
  ];
  const provider = createOfflineProvider({ dataset: epl, tokenDelayMs: 0 });
  const request: ModelRequest = {
    model: "offline",
    system: "You answer about the league.",
    messages: [{ role: "user", content: "Where are Arsenal in the table?" }],
    tools,
    maxTokens: 1024,
  };
  const expected = () =>
    countTokens(request.system) +
    countTokens(JSON.stringify(tools)) +
    countTokens(JSON.stringify(request.messages));

  // The agent loop's way: one messages array, grown between steps.
  const first: ModelEvent[] = [];
  for await (const e of provider.stream(request, new AbortController().signal)) first.push(e);
  assert.equal(inputTokensOf(first), expected());
  const call = first.find((e) => e.type === "tool_use");
  assert.ok(call?.type === "tool_use", "the first step calls the tool");
  request.messages.push(
    { role: "assistant", content: [{ type: "tool_use", id: call.id, name: call.name, input: call.input }] },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: call.id,
          content: "the table is not available now",
          is_error: true,
        },
      ],
    },
  );
  const second: ModelEvent[] = [];
  for await (const e of provider.stream(request, new AbortController().signal)) second.push(e);
  assert.equal(inputTokensOf(second), expected());
  // The same conversation sent afresh to a new provider counts the same.
  assert.equal(inputTokensOf(await stepOf(structuredClone(request))), expected());
});
