/**
 * The stand-ins against k6's own declarations (@types/k6): each member the scripts use must
 * accept what k6's accepts and give back what k6's gives, so a script that type-checks against
 * k6 runs on the stand-ins the same way. Checked by `npm run typecheck` (test/k6/tsconfig.json);
 * nothing here runs.
 */
import type * as K6 from "k6";
import type * as K6Http from "k6/http";
import type * as K6Metrics from "k6/metrics";
import type * as K6Timers from "k6/timers";
import type * as K6WebSockets from "k6/websockets";
import type * as http from "./standins/http.js";
import type * as k6 from "./standins/k6.js";
import type * as metrics from "./standins/metrics.js";
import type * as timers from "./standins/timers.js";
import type * as websockets from "./standins/websockets.js";

type Accepts<Standin extends (...args: never[]) => unknown, K6Fn extends (...args: never[]) => unknown> =
  Parameters<K6Fn> extends Parameters<Standin> ? true : false;
type Is<T extends true> = T;

export type Conformance = [
  Is<Accepts<typeof k6.check<unknown>, typeof K6.check<unknown>>>,
  Is<Accepts<typeof k6.sleep, typeof K6.sleep>>,
  Is<Accepts<typeof http.asyncRequest, typeof K6Http.asyncRequest<"text">>>,
  Is<
    Awaited<ReturnType<typeof http.asyncRequest>> extends Pick<K6Http.Response, "status" | "body" | "headers">
      ? true
      : false
  >,
  Is<Accepts<typeof timers.setTimeout, typeof K6Timers.setTimeout>>,
  Is<Accepts<typeof timers.clearTimeout, typeof K6Timers.clearTimeout>>,
  Is<Accepts<typeof timers.setInterval, typeof K6Timers.setInterval>>,
  Is<Accepts<typeof timers.clearInterval, typeof K6Timers.clearInterval>>,
  Is<
    ConstructorParameters<typeof K6Metrics.Trend> extends ConstructorParameters<typeof metrics.Trend>
      ? true
      : false
  >,
  Is<Parameters<K6Metrics.Rate["add"]> extends Parameters<metrics.Rate["add"]> ? true : false>,
  Is<
    ConstructorParameters<typeof K6WebSockets.WebSocket> extends ConstructorParameters<
      typeof websockets.WebSocket
    >
      ? true
      : false
  >,
  Is<
    Parameters<K6WebSockets.WebSocket["send"]> extends Parameters<websockets.WebSocket["send"]> ? true : false
  >,
];
