import type { LiveChannel, LiveEvent, LiveTopic } from "../../../shared/bus/live-stream/live-stream.js";
import type { Dataset } from "../../../shared/epl/dataset.js";
import { marketKinds } from "../../../shared/epl/markets.js";
import { AppError } from "../../../shared/errors.js";
import type { TextFrame } from "../session/socket-like.js";

export type ChannelKind = "scores" | "match" | "market" | "prices" | "user";

/**
 * One protocol channel (docs/protocol.md "Channels") as the gateway serves it: `name` is what the
 * client said and what every frame of it carries; `key` names it in the fan-out registry
 * (a user's `user` channel is keyed by its topic, so two users never share a listener set);
 * `source` is where its history and position come from.
 */
export interface ChannelRoute {
  name: string;
  kind: ChannelKind;
  key: string;
  source: LiveChannel;
  /** `market.*` and `prices` events may be conflated for a slow socket. */
  conflatable: boolean;
}

const scoresRoute: ChannelRoute = Object.freeze({
  name: "scores",
  kind: "scores",
  key: "scores",
  source: "match.*",
  conflatable: false,
});
const pricesRoute: ChannelRoute = Object.freeze({
  name: "prices",
  kind: "prices",
  key: "prices",
  source: "market.*",
  conflatable: true,
});

/**
 * Match and market routes already read, one per name of the dataset's fixtures (so at most a
 * few per fixture): every socket on a channel shares its route and name string.
 */
const knownRoutes = new WeakMap<Dataset, Map<string, ChannelRoute>>();

function publicRoutes(dataset: Dataset): Map<string, ChannelRoute> {
  let routes = knownRoutes.get(dataset);
  if (routes === undefined) {
    routes = new Map();
    knownRoutes.set(dataset, routes);
  }
  return routes;
}

function remember(dataset: Dataset, route: ChannelRoute): ChannelRoute {
  const frozen = Object.freeze(route);
  publicRoutes(dataset).set(route.name, frozen);
  return frozen;
}

/**
 * Reads a channel name a client asked for. Unknown names are `bad_request`; a match or market
 * that the league does not have is `not_found`; a `user.<id>` name is `forbidden`: a user's
 * events are only ever the caller's own `user` channel.
 */
export function parseChannel(name: string, userId: string, dataset: Dataset): ChannelRoute {
  if (name === "scores") return scoresRoute;
  if (name === "prices") return pricesRoute;
  if (name === "user") {
    return { name, kind: "user", key: `user.${userId}`, source: `user.${userId}`, conflatable: false };
  }
  const dot = name.indexOf(".");
  const prefix = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? "" : name.slice(dot + 1);
  if (prefix === "user") {
    throw new AppError("forbidden", `${name}: a user's events are only on their own "user" channel`);
  }
  const known = publicRoutes(dataset).get(name);
  if (known !== undefined) return known;
  if (prefix === "match" && rest !== "") {
    if (!dataset.byId.has(rest)) throw new AppError("not_found", `no match ${rest}`);
    return remember(dataset, {
      name,
      kind: "match",
      key: name,
      source: name as LiveTopic,
      conflatable: false,
    });
  }
  if (prefix === "market" && rest !== "") {
    const split = rest.lastIndexOf(".");
    const matchId = rest.slice(0, Math.max(0, split));
    const kind = rest.slice(split + 1);
    if (split < 0 || !Object.hasOwn(marketKinds, kind) || !dataset.byId.has(matchId)) {
      throw new AppError("not_found", `no market ${rest}`);
    }
    return remember(dataset, {
      name,
      kind: "market",
      key: name,
      source: name as LiveTopic,
      conflatable: true,
    });
  }
  throw new AppError(
    "bad_request",
    `unknown channel ${JSON.stringify(name)}: use scores, prices, user, match.<matchId> or market.<marketId>`,
  );
}

/** The registry keys an event of `topic` fans out to, with the channel name its frames carry. */
export function fanoutTargets(topic: LiveTopic): readonly { key: string; channel: string }[] {
  if (topic.startsWith("match.")) {
    return [
      { key: topic, channel: topic },
      { key: "scores", channel: "scores" },
    ];
  }
  if (topic.startsWith("market.")) {
    return [
      { key: topic, channel: topic },
      { key: "prices", channel: "prices" },
    ];
  }
  return [{ key: topic, channel: "user" }];
}

/**
 * The wire text of an `event` frame, built around `dataJson` (the event's data serialised once
 * for every channel and socket it goes to). Same shape as `EventFrame`.
 */
export function eventText(channel: string, event: LiveEvent, dataJson: string): string {
  return `{"type":"event","channel":${JSON.stringify(channel)},"seq":${event.seq},"epoch":${JSON.stringify(event.epoch)},"data":${dataJson}}`;
}

/** The same frame marked as the latest of several a slow socket missed. */
export function conflatedText(text: TextFrame): TextFrame {
  if (typeof text === "string") return `${text.slice(0, -1)},"conflated":true}`;
  return Buffer.concat([text.subarray(0, -1), conflatedSuffix]);
}

const conflatedSuffix = Buffer.from(',"conflated":true}');
