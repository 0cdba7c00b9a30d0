import { backend, type HttpExchange, recordSent, runtime } from "./runtime.js";

/**
 * `k6/http`: `asyncRequest` through the test's backend. Every request is checked against the
 * protocol before it leaves. k6's blocking calls (`get`, `post`, …) have no Node equivalent that
 * lets an in-process server answer, so the scripts use `asyncRequest` and these throw.
 */
interface Params {
  headers?: Record<string, string>;
}

/** Takes what k6's takes (test/k6/standins-conformance.ts), but only string URLs and bodies. */
export async function asyncRequest(method: string, url: unknown, body?: unknown, params?: Params | null) {
  if (typeof url !== "string") throw new TypeError("the stand-in takes string URLs only");
  if (body !== undefined && body !== null && typeof body !== "string") {
    throw new TypeError("the stand-in sends string bodies only (JSON.stringify them)");
  }
  const exchange: HttpExchange = {
    method: method.toUpperCase(),
    url,
    headers: { ...(params?.headers ?? {}) },
    body: body ?? null,
  };
  const violation = runtime.checkRequest(exchange);
  recordSent(`${exchange.method} ${new URL(url).pathname}`, exchange.body, violation);
  const answer = await backend().request(exchange);
  return {
    status: answer.status,
    body: answer.body,
    headers: answer.headers,
    error: answer.status >= 400 ? `HTTP ${answer.status}` : "",
    error_code: answer.status >= 400 ? 1000 + answer.status : 0,
    json: () => JSON.parse(answer.body) as unknown,
  };
}

function blocking(): never {
  throw new Error("the k6 scripts use http.asyncRequest: a blocking request cannot run in Node");
}

export const request = blocking;
export const get = blocking;
export const post = blocking;

export default { asyncRequest, request, get, post };
