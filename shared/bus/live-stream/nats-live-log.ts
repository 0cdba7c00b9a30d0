import { createHash } from "node:crypto";
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type MsgHdrs, nanos } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import type { LiveChannel, LiveEvent, LiveTopic } from "./live-stream.js";

/** Header carrying the publish time, so live deliveries and history read the same `time`. */
export const timeHeader = "Live-Time";

/**
 * Names of the LIVE stream of one deployment. Stored subjects are `<prefix>live.<kind>.<id>`; the
 * stream republishes each stored event, with its stream seq and the previous seq of its subject in
 * headers, on `<prefix>live-stored.<kind>.<id>` for the per-topic core subscriptions.
 */
export interface LiveNames {
  stream: string;
  stored: string;
  republished: string;
}

export function liveNames(streamPrefix: string, subjectPrefix: string): LiveNames {
  return {
    stream: `${streamPrefix}LIVE`,
    stored: `${subjectPrefix}live.`,
    republished: `${subjectPrefix}live-stored.`,
  };
}

/**
 * One id is one subject token, so `match.*` and `market.*` filters are exact even for ids with
 * dots (market ids are `<matchId>.<kind>`) or user ids a subject could not hold (`a..b`): each
 * byte outside `[A-Za-z0-9_:-]` is written `~XX` (hex).
 */
function encodeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_:-]/g, (c) =>
    [...Buffer.from(c)].map((b) => `~${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

function decodeId(token: string): string {
  return token.replace(/(?:~[0-9A-F]{2})+/g, (run) => Buffer.from(run.replaceAll("~", ""), "hex").toString());
}

export function topicSubject(base: string, topic: LiveTopic): string {
  const dot = topic.indexOf(".");
  return `${base}${topic.slice(0, dot)}.${encodeId(topic.slice(dot + 1))}`;
}

/** The stored-subject filter of a channel (`match.*` → `<prefix>live.match.*`). */
export function channelFilter(names: LiveNames, channel: LiveChannel): string {
  return channel.endsWith(".*")
    ? `${names.stored}${channel}`
    : topicSubject(names.stored, channel as LiveTopic);
}

export function topicOf(base: string, subject: string): LiveTopic {
  const rest = subject.slice(base.length);
  const dot = rest.indexOf(".");
  return `${rest.slice(0, dot)}.${decodeId(rest.slice(dot + 1))}` as LiveTopic;
}

/** The epoch of a stream's history: a digest of its creation time, which only a recreation changes. */
export function epochOf(info: StreamInfo): string {
  return createHash("sha256").update(`${info.config.name}@${info.created}`).digest("base64url").slice(0, 12);
}

export function toLiveEvent(
  base: string,
  stored: { subject: string; seq: number; headers: MsgHdrs | undefined; data: Uint8Array },
  epoch: string,
): LiveEvent {
  const event: LiveEvent = {
    topic: topicOf(base, stored.subject),
    seq: stored.seq,
    epoch,
    time: stored.headers?.get(timeHeader) ?? "",
    data: JSON.parse(new TextDecoder().decode(stored.data)),
  };
  // Stored, and republished, with the publish's headers (docs/architecture.md "Tracing").
  const traceparent = stored.headers?.get("traceparent");
  if (traceparent) {
    event.trace = { traceparent };
    const tracestate = stored.headers?.get("tracestate");
    if (tracestate) event.trace.tracestate = tracestate;
  }
  return event;
}

export interface LiveLogOptions {
  maxAgeMs: number;
  maxMsgsPerTopic: number;
  /** Copies JetStream keeps (NATS_REPLICAS; docs/architecture.md, "JetStream replicas"); 1 when unset. */
  replicas?: number;
}

/**
 * Creates or updates the limits stream and returns its info. Safe from many processes at once: an
 * add that loses the race, or meets an older configuration, becomes an update.
 */
export async function ensureLiveStream(
  jsm: JetStreamManager,
  names: LiveNames,
  options: LiveLogOptions,
): Promise<StreamInfo> {
  const config = {
    name: names.stream,
    subjects: [`${names.stored}>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs),
    max_msgs_per_subject: options.maxMsgsPerTopic,
    allow_direct: true,
    num_replicas: options.replicas ?? 1,
    republish: { src: `${names.stored}>`, dest: `${names.republished}>` },
  };
  try {
    return await jsm.streams.add(config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    return await jsm.streams.update(config.name, config);
  }
}

/** What the readers below need: the JetStream handles, the names and the current epoch. */
export interface LiveLog {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /**
   * `jsm` with a short request timeout, for reads the stream leader answers: during an election
   * no one answers, and a follower holding live events retries sooner (`leaderReadTimeoutMs`).
   */
  leader: JetStreamManager;
  names: LiveNames;
  epoch(): string;
}

/**
 * Who answers a read of the log. `direct`: any replica (the stream allows direct gets), so a
 * replica still catching up after a node loss may answer without the newest events. `leader`:
 * the stream leader, which stores and republishes every event (docs/operations.md, "Losing one
 * node"), for the followers' gap checks, whose answer must cover what was republished.
 */
export type LogReader = "direct" | "leader";

/** A leader read unanswered this long is tried again (an election takes seconds). */
export const leaderReadTimeoutMs = 1000;

type GetRequest = { last_by_subj: string } | { seq: number; next_by_subj: string };

async function getStored(log: LiveLog, query: GetRequest, via: LogReader) {
  if (via === "direct") return log.jsm.direct.getMessage(log.names.stream, query);
  // nats-server 2.9 takes next_by_subj on STREAM.MSG.GET too; nats.js types it for direct gets only.
  return log.leader.streams.getMessage(log.names.stream, query as { last_by_subj: string });
}

export async function lastStored(
  log: LiveLog,
  filter: string,
  via: LogReader = "direct",
): Promise<LiveEvent | undefined> {
  const stored = await getStored(log, { last_by_subj: filter }, via);
  return stored === null ? undefined : storedEvent(log, stored);
}

/** The seq of the oldest stored event matching `filter`, or undefined when none is stored. */
export async function firstStoredSeq(log: LiveLog, filter: string): Promise<number | undefined> {
  const stored = await log.jsm.direct.getMessage(log.names.stream, { seq: 0, next_by_subj: filter });
  return stored?.seq;
}

function storedEvent(
  log: LiveLog,
  stored: { subject: string; seq: number; header: MsgHdrs; data: Uint8Array },
): LiveEvent {
  const { subject, seq, header, data } = stored;
  return toLiveEvent(log.names.stored, { subject, seq, headers: header, data }, log.epoch());
}

/** Reads past this many events go through a consumer: one round trip per event is too slow. */
const directReadMax = 16;
const consumerReadTimeoutMs = 5000;

/**
 * Every stored event matching `filter` with seq >= `from`, in order, up to the end of the log as
 * the read reaches it. Short reads (a resume after a blip) are direct gets; long ones continue
 * through an ephemeral ordered consumer.
 */
export async function readFrom(
  log: LiveLog,
  filter: string,
  from: number,
  via: LogReader = "direct",
): Promise<LiveEvent[]> {
  const events: LiveEvent[] = [];
  let next = from;
  for (let i = 0; i < directReadMax; i++) {
    const stored = await getStored(log, { seq: next, next_by_subj: filter }, via);
    if (stored === null) return events;
    events.push(storedEvent(log, stored));
    next = stored.seq + 1;
  }
  const end = await lastStored(log, filter, via);
  if (end === undefined || end.seq < next) return events;
  events.push(...(await consumeFrom(log, filter, next)));
  return events;
}

/** Reads through an ordered consumer from `from` until it reports nothing pending. */
async function consumeFrom(log: LiveLog, filter: string, from: number): Promise<LiveEvent[]> {
  const consumer = await log.js.consumers.get(log.names.stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const events: LiveEvent[] = [];
  let caughtUp = false;
  let onCaughtUp = () => {};
  const done = new Promise<void>((resolve) => {
    onCaughtUp = resolve;
  });
  const messages = await consumer.consume({
    callback: (m) => {
      if (caughtUp) return;
      events.push(toLiveEvent(log.names.stored, m, log.epoch()));
      if (m.info.pending === 0) {
        caughtUp = true;
        onCaughtUp();
      }
    },
  });
  let timer: NodeJS.Timeout | undefined;
  // A consumer that finds nothing (the rest was discarded meanwhile) would wait for new events.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError("unavailable", "reading the live log timed out")),
      consumerReadTimeoutMs,
    );
  });
  try {
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
    await messages.close().catch(() => undefined);
    await consumer.delete().catch(() => undefined);
  }
  return events;
}
