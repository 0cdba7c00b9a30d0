import { randomUUID } from "node:crypto";
import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../../errors.js";
import type { AgentChunk, AgentEvent } from "../../protocol/agent-frames.js";
import type { NatsReplies } from "../nats/nats-replies.js";
import { type ChunkFeed, createChunkFeed } from "./chunk-feed.js";
import type { RunNames } from "./nats-run-streams.js";
import type { RunWatch } from "./run-queue.js";

/**
 * A watch that has seen nothing for this long reads the stream once: a chunk lost on the core
 * subscription (at most once) must not leave the reader waiting forever.
 */
const stallProbeMs = 3000;
/** Waits between tries: doubling from the first, up to the last. */
const publishRetryMs = [250, 1000] as const;
/**
 * Stream reads that may fail in a row before the watch fails: on a saturated bus a read times out
 * while the run is still queued, and the live subscription is fine.
 */
const maxFailedReads = 3;

/**
 * The output side of agent runs on `AGENT_OUT`: workers publish into the stream and wait for its
 * acks (stored, then seen by core subscribers too); watchers listen with one core subscription and read the stream
 * only to replay or to fill a gap.
 */
export function createRunOutput(
  nc: NatsConnection,
  jsm: JetStreamManager,
  replies: NatsReplies,
  names: RunNames,
  /** How long one message is tried before the attempt gives up: `publishRetryWindowMs(ackWaitMs)`. */
  { publishRetryWindowMs }: { publishRetryWindowMs: number },
) {
  const watches = new Set<ChunkFeed>();

  async function lastChunk(requestId: string): Promise<AgentChunk | null> {
    const stored = await unavailableOnError(
      jsm.direct.getMessage(names.outStream, { last_by_subj: names.outSubject(requestId) }),
    );
    return stored === null ? null : (chunksOf(stored.json()).at(-1) ?? null);
  }

  /**
   * Emits for one delivery of a run, numbering its chunks after `afterSeq` (the last stored seq).
   * Frames emitted in the same turn of the event loop go out as one message (a JSON array of
   * chunks in seq order): an agent yields a tool call's `started` and `finished`, or its last text
   * and `agent.done`, back to back, and each message costs a store, an ack and a delivery on every
   * hop. Messages are sent in call order (one connection keeps it) and each frame's promise
   * resolves once its message and every earlier one are stored, or rejects with the first failure
   * among them. After one message fails nothing more is sent: a later chunk stored after a lost
   * one would leave a gap that no watcher could get past.
   */
  function writer(requestId: string, afterSeq: number): (event: AgentEvent) => Promise<void> {
    const subject = names.outSubject(requestId);
    let seq = afterSeq;
    let failure: unknown;
    let waiting: AgentEvent[] = [];
    let batch: Promise<void> | undefined;
    let earlier: Promise<void> = Promise.resolve();

    const writerId = randomUUID();
    let sent = 0;
    const send = async (events: AgentEvent[]) => {
      if (failure !== undefined) throw failure;
      const parts = events.map((event) => JSON.stringify({ ...event, seq: ++seq }));
      try {
        await Promise.all(
          messages(parts).map((data) => publishRetried(subject, data, `${writerId}:${++sent}`)),
        );
      } catch (err) {
        failure ??=
          err instanceof AppError
            ? err
            : new AppError("unavailable", "agent bus unavailable", { cause: err });
        throw failure;
      }
    };
    const takeBatch = () => {
      const events = waiting;
      waiting = [];
      batch = undefined;
      return send(events);
    };
    return (event) => {
      waiting.push(event);
      batch ??= new Promise<void>((resolve) => setImmediate(resolve)).then(takeBatch);
      // The server acks in store order, so this waits only when an earlier ack is lost or late.
      const all = Promise.all([earlier, batch]).then(() => undefined);
      earlier = all;
      return all;
    };
  }

  /**
   * Publishes one output message, trying again with the same `msgID` when no ack came: during a
   * leader election a publish may be stored though its ack is lost, and JetStream drops the
   * repeat within `AGENT_OUT`'s duplicate window. Restarting the run instead would leave the
   * client holding frames of an attempt its resume no longer shows (docs/operations.md, "Losing
   * one node"). Only after `publishRetryWindowMs` does the failure reach the run, which restarts.
   */
  async function publishRetried(subject: string, data: string, msgID: string): Promise<void> {
    const giveUpAt = Date.now() + publishRetryWindowMs;
    for (let waitMs: number = publishRetryMs[0]; ; waitMs = Math.min(waitMs * 2, publishRetryMs[1])) {
      try {
        await replies.publishStored(subject, data, { msgID });
        return;
      } catch (err) {
        if (!(err instanceof AppError && err.code === "unavailable") || Date.now() + waitMs > giveUpAt)
          throw err;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** Publishes a terminal chunk once per `msgID` (JetStream drops a repeat within its window). */
  async function publishOnce(requestId: string, event: AgentEvent, msgID: string): Promise<void> {
    const seq = ((await lastChunk(requestId))?.seq ?? 0) + 1;
    await unavailableOnError(
      replies.publishStored(names.outSubject(requestId), `[${JSON.stringify({ ...event, seq })}]`, {
        msgID,
      }),
    );
  }

  function watch(requestId: string, after: number, fresh: boolean): RunWatch {
    const subject = names.outSubject(requestId);
    let streamCursor = 1;
    /** The highest chunk seq read from the stream: the next stored message starts just after it. */
    let storedSeq = 0;
    /** Whether a read has found the end of what is stored; a resume's first read has not. */
    let caughtUp = fresh;
    let filling: Promise<void> | undefined;
    let fillAgain = false;
    let failedReads = 0;
    let probe: NodeJS.Timeout | undefined;

    const feed = createChunkFeed(after, () => {
      clearTimeout(probe);
      sub.unsubscribe();
      watches.delete(feed);
    });
    const armProbe = () => {
      clearTimeout(probe);
      probe = setTimeout(fill, stallProbeMs);
      probe.unref();
    };

    /**
     * Reads the run's stored chunks from where the last read stopped (chunks are stored in seq
     * order, so stream order is run order). Direct gets are answered by any replica, and
     * nats-server 2.9 lets a node restarted after a node loss answer them before it has caught
     * up: without the messages stored while it was down, it skips them or says there is nothing
     * more (docs/operations.md, "Losing one node"). A run's chunks are numbered without gaps, so such
     * an answer shows: a message whose first chunk is past the next seq, or "nothing more" while
     * chunks are known to be missing (a resume's first read, or later chunks already delivered
     * live). That read, or a direct read that fails, is asked again of the stream leader, which
     * holds every acknowledged message, and the rest of the pass reads from it. An idle watch's
     * probe takes a replica's "nothing more": the next probe asks again.
     */
    async function readPass(): Promise<void> {
      let viaLeader = false;
      for (;;) {
        let stored: StoredMsg | null;
        try {
          stored = await readStored(viaLeader, streamCursor);
        } catch (err) {
          if (viaLeader) throw err;
          viaLeader = true;
          continue;
        }
        if (feed.ended) return;
        if (stored === null) {
          if (viaLeader || (caughtUp && !feed.hasGap)) break;
          viaLeader = true;
          continue;
        }
        const chunks = chunksOf(stored.json());
        if (!viaLeader && (chunks[0]?.seq ?? 0) > storedSeq + 1) {
          viaLeader = true;
          continue;
        }
        streamCursor = stored.seq + 1;
        for (const chunk of chunks) {
          storedSeq = Math.max(storedSeq, chunk.seq);
          feed.push(chunk);
        }
      }
      caughtUp = true;
    }

    function readStored(viaLeader: boolean, seq: number): Promise<StoredMsg | null> {
      const query = { seq, next_by_subj: subject };
      if (!viaLeader) return jsm.direct.getMessage(names.outStream, query);
      // nats-server 2.9 takes next_by_subj on STREAM.MSG.GET too; nats.js types it for direct gets only.
      return jsm.streams.getMessage(names.outStream, query as unknown as { last_by_subj: string });
    }

    // One read at a time; a request during one repeats it.
    function fill() {
      if (feed.ended) return;
      if (filling !== undefined) {
        fillAgain = true;
        return;
      }
      filling = (async () => {
        do {
          fillAgain = false;
          await readPass();
        } while (fillAgain && !feed.ended);
        failedReads = 0;
      })()
        .catch((err: unknown) => {
          failedReads += 1;
          if (failedReads >= maxFailedReads) {
            feed.fail(new AppError("unavailable", "cannot read the run's output", { cause: err }));
          }
        })
        .finally(() => {
          filling = undefined;
          if (!feed.ended) armProbe();
        });
    }

    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null) {
          feed.fail(new AppError("unavailable", "run output subscription failed", { cause: err }));
          return;
        }
        const before = feed.nextSeq;
        for (const chunk of chunksOf(msg.json())) feed.push(chunk);
        if (feed.hasGap) fill();
        else if (feed.nextSeq !== before) armProbe();
      },
    });
    watches.add(feed);
    // A run not yet submitted has nothing stored: the common path is this one SUB and nothing else.
    if (fresh) armProbe();
    else fill();
    return feed;
  }

  return {
    lastChunk,
    writer,
    publishOnce,
    watch,
    close() {
      for (const feed of watches) feed.fail(new AppError("unavailable", "run queue is closed"));
    },
  };
}

async function unavailableOnError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("unavailable", "agent bus unavailable", { cause: err });
  }
}

/** Characters per message: under the server's default 1 MB `max_payload` even at 3 bytes each. */
const maxMessageChars = 256 * 1024;

/** Serialized chunks joined into JSON arrays of at most `maxMessageChars` (a larger chunk goes alone). */
function messages(parts: string[]): string[] {
  const out: string[] = [];
  let group: string[] = [];
  let chars = 0;
  for (const part of parts) {
    if (group.length > 0 && chars + part.length > maxMessageChars) {
      out.push(`[${group.join(",")}]`);
      group = [];
      chars = 0;
    }
    group.push(part);
    chars += part.length + 1;
  }
  if (group.length > 0) out.push(`[${group.join(",")}]`);
  return out;
}

/**
 * The chunks of one stored message: an array since chunks were batched, a single chunk from a
 * worker of the version before (both may be in the stream during a rolling upgrade).
 */
function chunksOf(body: unknown): AgentChunk[] {
  return Array.isArray(body) ? (body as AgentChunk[]) : [body as AgentChunk];
}
