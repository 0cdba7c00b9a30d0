import { setTimeout as sleep } from "node:timers/promises";
import type { Dataset } from "../../../shared/epl/dataset.js";
import {
  abortError,
  type ModelEvent,
  type ModelMessage,
  type ModelProvider,
  type ModelRequest,
  type ToolResultBlock,
} from "./model.js";
import { type ToolFailure, writeAnswer } from "./offline/answer.js";
import { type Question, readQuestion } from "./offline/question.js";
import type { Finding, OfflineSkill } from "./offline/skill.js";
import { offlineSkills } from "./offline/skills.js";
import { countJsonTokens, countTokens, splitTokens } from "./offline/words.js";

export interface OfflineProviderOptions {
  dataset: Dataset;
  /** Pause before each streamed token (ms); 0 streams the same tokens without timers. */
  tokenDelayMs: number;
  skills?: readonly OfflineSkill[];
}

/**
 * The model without a network: deterministic, and grounded in the same tools as the real one.
 * Each turn it calls the agent's tools the question needs that it has not called yet (a tool
 * that needs another's answer — a trade needs its market — comes a turn later), saying first what
 * a call that acts will do (`announce`); when there is
 * none left, or on the last allowed step, it writes an answer from what the tools returned. An agent with
 * no relevant tool answers from the facts in its instructions. Text streams word by word with a
 * token delay, in one piece without; usage counts words either way.
 */
export function createOfflineProvider(options: OfflineProviderOptions): ModelProvider {
  const skills = new Map((options.skills ?? offlineSkills).map((s) => [s.tool, s]));
  // Without a delay nothing is awaited, and the answer is one text event (see `stream`).
  const pause = (signal: AbortSignal): Promise<void> | undefined => {
    if (options.tokenDelayMs > 0) return sleep(options.tokenDelayMs, undefined, { signal });
    if (signal.aborted) throw abortError(signal);
    return undefined;
  };
  /** Input tokens of what every step of an agent sends again: its instructions and tools. */
  const fixedTokens = new WeakMap<readonly unknown[], Map<string, number>>();
  const countFixed = (system: string, tools: readonly unknown[]) => {
    let bySystem = fixedTokens.get(tools);
    if (bySystem === undefined) {
      bySystem = new Map();
      fixedTokens.set(tools, bySystem);
    }
    let count = bySystem.get(system);
    if (count === undefined) {
      count = countTokens(system) + countJsonTokens(tools);
      bySystem.set(system, count);
    }
    return count;
  };

  /**
   * What the user asked, read once per run: the agent loop sends the same `messages` array at
   * every step, with the same question and tools.
   */
  const questions = new WeakMap<
    readonly ModelMessage[],
    { text: string; tools: readonly unknown[]; question: Question }
  >();
  const questionOf = (request: ModelRequest, text: string): Question => {
    const known = questions.get(request.messages);
    if (known?.text === text && known.tools === request.tools) return known.question;
    const offered = new Set(request.tools.map((t) => t.name));
    const question = readQuestion(options.dataset, text, offered);
    questions.set(request.messages, { text, tools: request.tools, question });
    return question;
  };

  return {
    async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelEvent> {
      const inputTokens = countFixed(request.system, request.tools) + countMessages(request.messages);
      const conversation = readConversation(request.messages);
      const question = questionOf(request, conversation.question);

      if (request.toolChoice !== "none") {
        const calls = request.tools
          .flatMap((tool) =>
            (skills.get(tool.name)?.plan(question, conversation.findings) ?? []).map((input) => ({
              name: tool.name,
              input,
            })),
          )
          .filter((call) => !conversation.called.has(callKey(call.name, call.input)));
        if (calls.length > 0) {
          let outputTokens = 0;
          const said = calls.flatMap(
            (call) => skills.get(call.name)?.announce?.(call.input, question, conversation.findings) ?? [],
          );
          if (said.length > 0) {
            // The answer that follows starts a paragraph of its own.
            for (const token of [...splitTokens(said.join("\n\n")), "\n\n"]) {
              await pause(signal);
              outputTokens += countTokens(token);
              yield { type: "text", text: token };
            }
          }
          for (const [i, call] of calls.entries()) {
            await pause(signal);
            outputTokens += 1 + countJsonTokens(call.input);
            yield { type: "tool_use", id: `toolu_offline_${conversation.turn}_${i}`, ...call };
          }
          yield { type: "message_end", stopReason: "tool_use", usage: { inputTokens, outputTokens } };
          return;
        }
      }

      const answer = writeAnswer({
        question,
        system: request.system,
        skills,
        findings: conversation.findings,
        failures: conversation.failures,
      });
      const tokens = splitTokens(answer);
      const emitted = tokens.slice(0, request.maxTokens);
      if (options.tokenDelayMs > 0) {
        for (const token of emitted) {
          await pause(signal);
          yield { type: "text", text: token };
        }
      } else if (emitted.length > 0) {
        // With no delay, words one by one would only cost each a hop through every generator
        // between here and the bus (model, agent, worker) and be coalesced into one delta there.
        if (signal.aborted) throw abortError(signal);
        yield { type: "text", text: emitted.join("") };
      }
      yield {
        type: "message_end",
        stopReason: emitted.length < tokens.length ? "max_tokens" : "end_turn",
        usage: { inputTokens, outputTokens: emitted.length },
      };
    },
  };
}

interface Conversation {
  /** The user's words: the newest user text in the conversation. */
  question: string;
  /** Every tool call already made in the conversation (`callKey`), failed ones included. */
  called: Set<string>;
  findings: Map<string, Finding[]>;
  failures: ToolFailure[];
  /** Number of this model turn, for deterministic tool-call ids. */
  turn: number;
}

/**
 * Messages are never changed once sent (the agent loop only appends), so each is counted and
 * each tool result parsed once per run, not again at every later step.
 */
const messageTokens = new WeakMap<ModelMessage, number>();
const parsedResults = new WeakMap<ToolResultBlock, unknown>();

/**
 * `countTokens(JSON.stringify(messages))`, from each message's own count: every message's JSON
 * starts with `{` and ends with `}`, so the commas between them join two words into one.
 */
function countMessages(messages: readonly ModelMessage[]): number {
  if (messages.length === 0) return countTokens("[]");
  let count = 1 - messages.length;
  for (const message of messages) {
    let tokens = messageTokens.get(message);
    if (tokens === undefined) {
      tokens = countJsonTokens(message);
      messageTokens.set(message, tokens);
    }
    count += tokens;
  }
  return count;
}

function parsedResult(block: ToolResultBlock): unknown {
  if (!parsedResults.has(block)) parsedResults.set(block, JSON.parse(block.content));
  return parsedResults.get(block);
}

function readConversation(messages: readonly ModelMessage[]): Conversation {
  const calls = new Map<string, { name: string; input: unknown }>();
  const conversation: Conversation = {
    question: "",
    called: new Set(),
    findings: new Map(),
    failures: [],
    turn: messages.filter((m) => m.role === "assistant").length + 1,
  };
  for (const message of messages) {
    if (typeof message.content === "string") {
      if (message.role === "user") conversation.question = message.content;
      continue;
    }
    for (const block of message.content) {
      if (block.type === "text" && message.role === "user") conversation.question = block.text;
      else if (block.type === "tool_use") {
        calls.set(block.id, { name: block.name, input: block.input });
        conversation.called.add(callKey(block.name, block.input));
      } else if (block.type === "tool_result") {
        const call = calls.get(block.tool_use_id);
        if (!call) continue;
        if (block.is_error) {
          conversation.failures.push({ tool: call.name, message: block.content });
          continue;
        }
        const found = conversation.findings.get(call.name) ?? [];
        found.push({ input: call.input, output: parsedResult(block) });
        conversation.findings.set(call.name, found);
      }
    }
  }
  return conversation;
}

/** A call's identity: its tool and input (the offline model builds inputs in a fixed key order). */
function callKey(name: string, input: unknown): string {
  return `${name}:${JSON.stringify(input)}`;
}
