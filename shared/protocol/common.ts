import { Type as T } from "@sinclair/typebox";

/** Units of the protocol (PROTOCOL.md "Units"). */
export const FrameId = T.String({ minLength: 1, maxLength: 64 });
export const UserId = T.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });
export const Tier = T.Union([T.Literal("free"), T.Literal("pro")]);
/** Credits with at most 2 decimals; stored as integer cents. */
export const Credits = T.Number({ minimum: 0, multipleOf: 0.01 });
/** Shares: > 0, at most 2 decimals. */
export const Shares = T.Number({ exclusiveMinimum: 0, multipleOf: 0.01, maximum: 1_000_000 });
export const Price = T.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });
export const IsoTime = T.String({ format: "date-time" });
