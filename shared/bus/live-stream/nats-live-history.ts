import type { LiveChannel, LiveEvent } from "./live-stream.js";
import { channelFilter, epochOf, firstStoredSeq, type LiveLog, readFrom } from "./nats-live-log.js";

const notRecovered = { recovered: false, events: [] as LiveEvent[] };

/**
 * The channel's stored events after `after`, and whether they are all of them. JetStream discards
 * in two ways, and each leaves a mark this reads *after* the events (discards only move forward, so
 * a later proof covers the earlier read):
 * - `max_age` drops the oldest messages of the whole stream: nothing after `after` went that way
 *   iff the stream's `first_seq` <= after + 1.
 * - `max_msgs_per_subject` drops a topic's oldest messages once it holds the limit. A topic below
 *   the limit now lost those only before messages `max_age` dropped since (count falls below the
 *   limit only that way), so the first check covers it. For a topic at the limit, every dropped
 *   message is older than its oldest stored one: nothing after `after` went iff that oldest seq
 *   <= after + 1.
 * The rule is conservative: a topic at the limit whose events all came after `after` answers
 * `recovered: false` (the client missed at least `maxMsgsPerTopic` events of it: a snapshot is
 * the better answer anyway), and so does an `after` older than the stream's oldest event.
 */
export async function readHistory(
  log: LiveLog,
  maxMsgsPerTopic: number,
  channel: LiveChannel,
  after: number,
  epoch: string,
): Promise<{ recovered: boolean; events: LiveEvent[] }> {
  if (epoch !== log.epoch()) return notRecovered;
  const filter = channelFilter(log.names, channel);
  const events = await readFrom(log, filter, after + 1);
  const info = await log.jsm.streams.info(log.names.stream, { subjects_filter: filter });
  if (epochOf(info) !== epoch || info.state.first_seq > after + 1) return notRecovered;
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    if (count < maxMsgsPerTopic) continue;
    const oldest = await firstStoredSeq(log, subject);
    if (oldest !== undefined && oldest > after + 1) return notRecovered;
  }
  return { recovered: true, events };
}
