import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for Anthropic's Messages API: a real HTTP server (port 0) that answers
 * `POST /v1/messages` with scripted replies in Anthropic's wire format — server-sent events
 * (`message_start`, `content_block_*`, `message_delta`, `message_stop`, `ping`, `error`) or a
 * plain HTTP error. It exists for the faults a real API cannot be made to produce on demand:
 * rate limits, overload mid-stream, a stream that stalls.
 */
export type FakeStep = { event: string; data: unknown } | { pauseMs: number } | { stall: true };

export type FakeReply =
  | { sse: FakeStep[] }
  | { status: number; body: unknown; headers?: Record<string, string> };

export interface RecordedRequest {
  headers: IncomingMessage["headers"];
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are inspected freely in tests
  body: any;
}

export interface FakeAnthropic {
  /** Base URL for the SDK's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests whose client went away before their reply was complete. */
  readonly abandoned: number;
  /** Queues replies: each request takes the next one; a function sees the request first. */
  script(...replies: (FakeReply | ((request: RecordedRequest) => FakeReply))[]): void;
  /** Answers every request that finds no scripted reply queued (a scripted model). */
  answerWith(respond: (request: RecordedRequest) => FakeReply): void;
  /** Forgets recorded requests and replies not yet taken. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const queue: (FakeReply | ((request: RecordedRequest) => FakeReply))[] = [];
  const requests: RecordedRequest[] = [];
  let abandoned = 0;
  let respond: ((request: RecordedRequest) => FakeReply) | undefined;

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || req.url !== "/v1/messages") {
      return json(res, 404, errorBody("not_found_error", `${req.method} ${req.url}`));
    }
    const request: RecordedRequest = {
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString()),
    };
    requests.push(request);
    const next = queue.shift() ?? respond;
    const reply = typeof next === "function" ? next(request) : next;
    if (!reply) return json(res, 500, errorBody("api_error", "fake: no reply scripted"));
    if ("status" in reply) return json(res, reply.status, reply.body, reply.headers);

    let finished = false;
    res.on("close", () => {
      if (!finished) abandoned += 1;
    });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const step of reply.sse) {
      if (res.destroyed) return;
      if ("stall" in step) return;
      if ("pauseMs" in step) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, step.pauseMs);
          res.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        continue;
      }
      res.write(`event: ${step.event}\ndata: ${JSON.stringify(step.data)}\n\n`);
    }
    finished = true;
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get abandoned() {
      return abandoned;
    },
    script(...replies) {
      queue.push(...replies);
    },
    answerWith(answer) {
      respond = answer;
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function errorBody(type: string, message: string): unknown {
  return { type: "error", error: { type, message } };
}

/** The SSE `error` event the API sends when a stream fails after it started. */
export function sseError(type: string, message: string): FakeStep {
  return { event: "error", data: errorBody(type, message) };
}

export function messageStart(inputTokens: number): FakeStep {
  return {
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-5-5",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    },
  };
}

export function messageEnd(stopReason: string, outputTokens: number): FakeStep[] {
  return [
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: outputTokens },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
}

export function textBlock(index: number, parts: readonly string[]): FakeStep[] {
  return [
    {
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
    },
    ...parts.map((text) => ({
      event: "content_block_delta",
      data: { type: "content_block_delta", index, delta: { type: "text_delta", text } },
    })),
    { event: "content_block_stop", data: { type: "content_block_stop", index } },
  ];
}

export function toolUseBlock(
  index: number,
  id: string,
  name: string,
  fragments: readonly string[],
): FakeStep[] {
  return [
    {
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } },
    },
    ...fragments.map((partial_json) => ({
      event: "content_block_delta",
      data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } },
    })),
    { event: "content_block_stop", data: { type: "content_block_stop", index } },
  ];
}

export const ping: FakeStep = { event: "ping", data: { type: "ping" } };

/** A whole text answer: start, a ping, the text in `parts`, end. */
export function textReply(parts: readonly string[], usage = { input: 12, output: 5 }): FakeReply {
  return {
    sse: [messageStart(usage.input), ping, ...textBlock(0, parts), ...messageEnd("end_turn", usage.output)],
  };
}
