import { Kind, Type as T, type TSchema, TypeRegistry } from "@sinclair/typebox";
import { DefaultErrorFunction, SetErrorFunction } from "@sinclair/typebox/errors";

/** Units of the protocol (PROTOCOL.md "Units"). */
export const FrameId = T.String({ minLength: 1, maxLength: 64 });
export const UserId = T.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });
export const Tier = T.Union([T.Literal("free"), T.Literal("pro")]);
export const IsoTime = T.String({ format: "date-time" });
export const Price = T.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });

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

SetErrorFunction((error) =>
  (error.schema as { [Kind]?: string })[Kind] === "Decimal2"
    ? describeDecimal2(error.schema as TDecimal2)
    : DefaultErrorFunction(error),
);

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
