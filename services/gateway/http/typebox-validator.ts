import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { FastifySchemaCompiler } from "fastify";
import { AppError } from "../../../shared/errors.js";

/**
 * Validates route schemas with TypeBox's own checker instead of Ajv, so HTTP applies exactly the
 * checks the WebSocket frames do (the protocol's 2-decimal numbers are a TypeBox kind Ajv does
 * not know). Nothing is coerced or removed: a value is valid as sent or refused `bad_request`
 * (docs/protocol.md "Validation"). Fastify's Ajv would coerce (`{"input":123}` became "123") and
 * strip unknown keys, so `buildApp` sets this compiler on the root, before any route plugin.
 *
 * Query strings and path parameters arrive as strings, so their schemas declare strings (enums
 * and patterns) and the handler converts any that mean a number, strictly: a coercing validator
 * would also turn `?limit=1e3` or a repeated key into something the client did not send. A
 * repeated query key arrives as an array and is refused by a string schema.
 */
export const typeboxValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = TypeCompiler.Compile(schema);
  return (data: unknown) => {
    if (checker.Check(data)) return { value: data };
    const first = checker.Errors(data).First();
    const where = first?.path ? `${first.path}: ` : "";
    return {
      error: new AppError(
        "bad_request",
        `invalid ${httpPart ?? "request"}: ${where}${first?.message ?? "schema violation"}`,
      ),
    };
  };
};
