import type { Attributes } from "@opentelemetry/api";

/**
 * Span attributes from the OpenTelemetry semantic conventions. The messaging and RPC names are
 * still "incubating" there, so they are spelled here rather than imported from the package's
 * unstable entry point.
 */
export function messaging(operation: "send" | "process", destination: string): Attributes {
  return {
    "messaging.system": "nats",
    "messaging.operation.type": operation,
    "messaging.destination.name": destination,
  };
}

export function rpcCall(method: string): Attributes {
  return { "rpc.system": "nats", "rpc.method": method };
}

/** A statement's text is kept (parameters never are: they are user data), up to 200 characters. */
export function sqlStatement(system: "postgresql", text: string): Attributes {
  const query = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return { "db.system.name": system, "db.query.text": query, "db.operation.name": operationOf(text) };
}

export function redisCommand(command: string): Attributes {
  return { "db.system.name": "redis", "db.operation.name": command };
}

function operationOf(text: string): string {
  return /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? "SQL";
}
