import { type Static, Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { AppError } from "../errors.js";
import { AgentNameSchema, IntentSchema } from "./agents.js";
import {
  Credits,
  FrameId,
  IdempotencyKey,
  MarketId,
  MatchId,
  namePattern,
  Outcome,
  SafeId,
  SafeText,
  Shares,
  Side,
} from "./common.js";

/**
 * Every frame a client may send over `/ws` (docs/protocol.md "WebSocket"), under the one validation
 * policy of docs/protocol.md "Validation": unknown keys and wrong types are refused, never
 * coerced or stripped, and no string holds a control character (`SafeId`, `SafeText`).
 */
const strict = { additionalProperties: false } as const;

export const Channel = T.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_.:-]+$" });
/** An agent run's input: prose, so line breaks and tabs are fine. */
export const AgentInput = SafeText({ minLength: 1, maxLength: 8000 });
export const RunContext = T.Object({ matchId: T.Optional(MatchId), marketId: T.Optional(MarketId) }, strict);

export const clientFrameSchemas = {
  ping: T.Object({ type: T.Literal("ping"), id: FrameId }, strict),
  auth: T.Object({ type: T.Literal("auth"), id: FrameId, token: SafeId(8192) }, strict),
  subscribe: T.Object(
    {
      type: T.Literal("subscribe"),
      id: FrameId,
      channels: T.Array(Channel, { minItems: 1, maxItems: 100 }),
      since: T.Optional(
        T.Record(
          Channel,
          T.Object(
            { seq: T.Integer({ minimum: 0 }), epoch: T.String({ maxLength: 128, pattern: namePattern }) },
            strict,
          ),
        ),
      ),
    },
    strict,
  ),
  unsubscribe: T.Object(
    {
      type: T.Literal("unsubscribe"),
      id: FrameId,
      channels: T.Array(Channel, { minItems: 1, maxItems: 100 }),
    },
    strict,
  ),
  quote: T.Object(
    {
      type: T.Literal("quote"),
      id: FrameId,
      marketId: MarketId,
      outcome: Outcome,
      side: Side,
      shares: Shares,
    },
    strict,
  ),
  trade: T.Object(
    {
      type: T.Literal("trade"),
      id: FrameId,
      marketId: MarketId,
      outcome: Outcome,
      side: Side,
      shares: Shares,
      maxCost: T.Optional(Credits),
      minProceeds: T.Optional(Credits),
      idempotencyKey: T.Optional(IdempotencyKey),
    },
    strict,
  ),
  "agent.run": T.Object(
    {
      type: T.Literal("agent.run"),
      id: FrameId,
      agent: T.Optional(AgentNameSchema),
      intent: T.Optional(IntentSchema),
      input: AgentInput,
      context: T.Optional(RunContext),
      /** Opt-in: the run asks with `agent.confirm` before each trade (docs/protocol.md "Agent runs"). */
      confirmTrades: T.Optional(T.Boolean()),
    },
    strict,
  ),
  "agent.confirm.reply": T.Object(
    {
      type: T.Literal("agent.confirm.reply"),
      id: FrameId,
      requestId: SafeId(128),
      confirmId: SafeId(64),
      accept: T.Boolean(),
    },
    strict,
  ),
  "agent.cancel": T.Object({ type: T.Literal("agent.cancel"), id: FrameId }, strict),
  "agent.resume": T.Object(
    {
      type: T.Literal("agent.resume"),
      id: FrameId,
      requestId: SafeId(128),
      after: T.Integer({ minimum: 0 }),
    },
    strict,
  ),
} satisfies Record<string, TSchema>;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientFrame = { [K in ClientFrameType]: Static<(typeof clientFrameSchemas)[K]> }[ClientFrameType];
export type ClientFrameOf<K extends ClientFrameType> = Static<(typeof clientFrameSchemas)[K]>;
export type AgentRunFrame = ClientFrameOf<"agent.run">;

const frameIdChecker = TypeCompiler.Compile(FrameId);

const checkers = Object.fromEntries(
  Object.entries(clientFrameSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
) as { [K in ClientFrameType]: ReturnType<typeof TypeCompiler.Compile<(typeof clientFrameSchemas)[K]>> };

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: AppError; id?: string };

/**
 * Parses one text frame. Never throws: malformed JSON and schema violations are `bad_request`,
 * an unknown `type` is `unknown_type`; the frame's `id` is returned when it is a valid id, so the
 * error answer can echo it (an id with a control character is not echoed).
 */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new AppError("bad_request", "frame is not valid JSON") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: new AppError("bad_request", "frame must be a JSON object") };
  }
  const record = value as Record<string, unknown>;
  const id = frameIdChecker.Check(record.id) ? record.id : undefined;
  const fail = (error: AppError): ParsedFrame =>
    id === undefined ? { ok: false, error } : { ok: false, error, id };
  if (typeof record.type !== "string") return fail(new AppError("bad_request", "frame has no string `type`"));
  if (!Object.hasOwn(checkers, record.type)) {
    return fail(
      new AppError("unknown_type", `unknown frame type ${JSON.stringify(record.type.slice(0, 64))}`),
    );
  }
  const checker = checkers[record.type as ClientFrameType];
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    const where = first?.path ? `${first.path}: ` : "";
    return fail(
      new AppError(
        "bad_request",
        `invalid ${record.type} frame: ${where}${first?.message ?? "schema violation"}`,
      ),
    );
  }
  return { ok: true, frame: value as ClientFrame };
}
