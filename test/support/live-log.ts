import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import type { LiveChannel, LiveEvent } from "../../shared/bus/live-stream/live-stream.js";
import { createNatsLiveStream } from "../../shared/bus/live-stream/nats-live-stream.js";
import { loadConfig } from "../../shared/config.js";
import { AppError } from "../../shared/errors.js";
import type { LiveClient } from "./live-client.js";
import { retried, until } from "./polling.js";

/**
 * The LIVE stream's own log, the reference for "no gap, no duplicate": what a client received on
 * a channel is compared, seq for seq, with every event the log holds of it.
 */
const defaults = loadConfig({});

/** Where a deployment's LIVE stream is (its `env`). */
export type LiveLogEnv = Readonly<Record<string, string>>;

/** Where a channel's events come from in the LIVE log. */
export function sourceOf(channel: string, userId: string): LiveChannel {
  if (channel === "scores") return "match.*";
  if (channel === "prices") return "market.*";
  if (channel === "user") return `user.${userId}`;
  return channel as LiveChannel;
}

/**
 * How long the reference read keeps trying while the stream answers `unavailable`: after a fault
 * test's node loss the cluster may still be electing when the test reads, and the reference is
 * what the clients are judged by, not what is under test.
 */
const logReadPatienceMs = 20_000;

/** The whole LIVE log of `channel` in `epoch`, read over a connection of its own. */
export async function logOf(env: LiveLogEnv, channel: LiveChannel, epoch: string): Promise<LiveEvent[]> {
  return retried(() => readLog(env, channel, epoch), {
    timeoutMs: logReadPatienceMs,
    everyMs: 500,
    retryIf: (err) => err instanceof AppError && err.code === "unavailable",
  });
}

async function readLog(env: LiveLogEnv, channel: LiveChannel, epoch: string): Promise<LiveEvent[]> {
  const nc = await connect({ servers: env.NATS_URL!.split(",") });
  try {
    const live = await createNatsLiveStream(nc, {
      streamPrefix: env.STREAM_PREFIX!,
      subjectPrefix: env.SUBJECT_PREFIX!,
      maxAgeMs: defaults.liveMaxAgeMs,
      maxMsgsPerTopic: defaults.liveMaxMsgsPerTopic,
    });
    const { recovered, events } = await live.history(channel, 0, epoch);
    assert.ok(recovered, `the log of ${channel} is whole in epoch ${epoch}`);
    await live.close();
    return events;
  } finally {
    await nc.close();
  }
}

/** What one client received on one channel against the log, from where its view began. */
export interface LogComparison {
  channel: string;
  /** Epochs of the frames received (one, unless history was lost). */
  epochs: string[];
  /** Seqs of the log's events after the client's first frame (its first event included). */
  expected: number[];
  /** Seqs of the events received, in order. */
  received: number[];
  /** Log events never received, with the arrival time of the first frame received after the gap. */
  missing: { seq: number; noticedAt: number | undefined }[];
  /** Events received again (or out of order), with their arrival times. */
  duplicated: { seq: number; at: number | undefined }[];
}

/**
 * Compares `client`'s events on `channel` with the log. The client's view begins at its first
 * frame: after a snapshot's seq, or at its first event. Polls up to `catchUpMs` while the client
 * still has fewer events than the log (it may be catching up).
 */
export async function compareWithLog(
  env: LiveLogEnv,
  client: LiveClient,
  channel: string,
  catchUpMs = 5000,
): Promise<LogComparison> {
  const frames = () => client.frames(channel);
  const first = frames()[0];
  assert.ok(first !== undefined, `${client.userId} received something on ${channel}`);
  const epoch = first.epoch as string;
  const from = first.type === "snapshot" ? (first.seq as number) + 1 : (first.seq as number);
  const events = () => client.events(channel);
  const source = sourceOf(channel, client.userId);
  let caughtUpTo = 0;
  await until(
    async () => {
      const log = (await logOf(env, source, epoch)).filter((e) => e.seq >= from);
      caughtUpTo = log.at(-1)?.seq ?? 0;
      return events().length >= log.length;
    },
    catchUpMs,
    `${client.userId} to catch up on ${channel}`,
  ).catch(() => {});
  const received = events();
  // Events go on while this compares: the log is read again after the client's events were
  // taken, and it is expected up to the end of the log the client caught up with, or further
  // if the client received more since.
  const upTo = Math.max(caughtUpTo, ...received.map((f) => f.seq as number));
  const expected = (await logOf(env, source, epoch))
    .filter((e) => e.seq >= from && e.seq <= upTo)
    .map((e) => e.seq);
  const seen = new Set<number>();
  const duplicated: LogComparison["duplicated"] = [];
  let highest = -1;
  for (const frame of received) {
    const seq = frame.seq as number;
    if (seen.has(seq) || seq <= highest) duplicated.push({ seq, at: client.receivedAt(frame) });
    seen.add(seq);
    highest = Math.max(highest, seq);
  }
  const missing = expected
    .filter((seq) => !seen.has(seq))
    .map((seq) => {
      const next = received.find((f) => (f.seq as number) > seq);
      return { seq, noticedAt: next === undefined ? undefined : client.receivedAt(next) };
    });
  return {
    channel,
    epochs: [...new Set(frames().map((f) => f.epoch as string))],
    expected,
    received: received.map((f) => f.seq as number),
    missing,
    duplicated,
  };
}

/**
 * Every event `client` received on `channel` is, seq for seq, the log's events from where its
 * view began: strictly increasing, none twice, none missing, one epoch throughout.
 */
export async function assertMatchesLog(env: LiveLogEnv, client: LiveClient, channel: string) {
  assert.ok(client.events(channel).length > 0, `${client.userId} saw events on ${channel}`);
  const comparison = await compareWithLog(env, client, channel);
  assert.equal(comparison.epochs.length, 1, `${channel}: one epoch throughout`);
  assert.deepEqual(
    comparison.received,
    comparison.expected,
    `${client.userId} on ${channel}: exactly the log's events, once, in order`,
  );
}
