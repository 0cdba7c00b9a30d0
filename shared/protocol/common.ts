import { Kind, type Static, Type as T, type TSchema, TypeRegistry } from "@sinclair/typebox";
import { DefaultErrorFunction, SetErrorFunction, ValueErrorType } from "@sinclair/typebox/errors";

/**
 * What a client's strings may hold (docs/protocol.md "Validation"). PostgreSQL's `text` cannot
 * store NUL (it answers 22021), and no other control character has a use in an id or a name, so
 * ids and names refuse every C0 and C1 control and DEL. Prose (an agent's `input`, an
 * instruction) may also hold tab, line feed and carriage return. Both refuse a lone UTF-16
 * surrogate: it has no UTF-8 form, so it would be stored as U+FFFD and two different keys would
 * become one. The patterns read the same in a JavaScript RegExp with or without the `u` flag.
 */
const surrogatePair = "[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]";
export const namePattern = `^(?:[^\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]|${surrogatePair})*$`;
export const textPattern = `^(?:[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]|${surrogatePair})*$`;

/** An id or name chosen by a client (a frame id, a market id, an idempotency key): 1–`maxLength` characters. */
export function SafeId(maxLength: number) {
  return T.String({ minLength: 1, maxLength, pattern: namePattern });
}

/** Prose from a client: `minLength`–`maxLength` characters, line breaks and tabs allowed. */
export function SafeText(bounds: { minLength: number; maxLength: number }) {
  return T.String({ ...bounds, pattern: textPattern });
}

/** Units of the protocol (docs/protocol.md "Units"). */
export const FrameId = SafeId(64);
export const UserId = T.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });
export const Tier = T.Union([T.Literal("free"), T.Literal("pro")]);
export const IsoTime = T.String({ format: "date-time" });
export const Price = T.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });

/** Units of trading, shared by the client protocol and the exchange's own payloads. */
export const MarketId = SafeId(128);
export const MatchId = SafeId(128);
export const Outcome = SafeId(64);
export const IdempotencyKey = SafeId(128);
export const Side = T.Union([T.Literal("buy"), T.Literal("sell")]);
export type Side = Static<typeof Side>;
export const MarketStatus = T.Union([
  T.Literal("open"),
  T.Literal("suspended"),
  T.Literal("closed"),
  T.Literal("settled"),
]);
export type MarketStatus = Static<typeof MarketStatus>;

/**
 * A JSON number with at most two decimals. JSON Schema's `multipleOf: 0.01` cannot express this:
 * validators test it in binary floating point, where `1 % 0.01 !== 0`. So the check is a kind of
 * its own: the value times 100 must be (within rounding of the decimal text) a whole number.
 */
interface TDecimal2 extends TSchema {
  [Kind]: "Decimal2";
  static: number;
  type: "number";
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

TypeRegistry.Set<TDecimal2>("Decimal2", (schema, value) => {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (schema.minimum !== undefined && value < schema.minimum) return false;
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return false;
  if (schema.maximum !== undefined && value > schema.maximum) return false;
  const hundredths = value * 100;
  return Math.abs(hundredths - Math.round(hundredths)) < 1e-6;
});

SetErrorFunction((error) => {
  if ((error.schema as { [Kind]?: string })[Kind] === "Decimal2")
    return describeDecimal2(error.schema as TDecimal2);
  if (error.errorType === ValueErrorType.StringPattern) {
    // The patterns themselves would only puzzle a client author.
    const { pattern } = error.schema as { pattern?: string };
    if (pattern === namePattern) return "Expected text without control characters";
    if (pattern === textPattern)
      return "Expected text without control characters other than tab and line breaks";
  }
  return DefaultErrorFunction(error);
});

function describeDecimal2(schema: TDecimal2): string {
  const bounds = [
    schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : undefined,
    schema.minimum !== undefined ? `>= ${schema.minimum}` : undefined,
    schema.maximum !== undefined ? `<= ${schema.maximum}` : undefined,
  ].filter(Boolean);
  return `Expected a number with at most 2 decimals${bounds.length ? ` ${bounds.join(" and ")}` : ""}`;
}

function decimal2(bounds: Pick<TDecimal2, "minimum" | "exclusiveMinimum" | "maximum">): TDecimal2 {
  return { [Kind]: "Decimal2", type: "number", ...bounds } as TDecimal2;
}

/** Credits: ≥ 0, at most 2 decimals; stored as integer cents. */
export const Credits = decimal2({ minimum: 0, maximum: 1_000_000_000 });
/** Shares: > 0, at most 2 decimals; stored as integer hundredths. */
export const Shares = decimal2({ exclusiveMinimum: 0, maximum: 1_000_000 });

/**
 * The query string of an HTTP route that takes no parameters: like a body's unknown keys, an
 * unknown parameter is `bad_request` rather than silently ignored (docs/protocol.md "Validation").
 */
export const NoQuery = T.Object({}, { additionalProperties: false });
