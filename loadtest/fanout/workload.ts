import type { LiveTopic } from "../../shared/bus/live-stream/live-stream.js";
import { currentSeason, loadDataset } from "../../shared/epl/dataset.js";
import { type MarketKind, marketId } from "../../shared/epl/markets.js";

/**
 * What every server of the fan-out benchmark carries, so the three see the same sockets, the
 * same subscriptions and the same events. A round of `fixtures` live matches; socket g follows
 * fixture g mod n: `scores` plus that fixture's three markets. The feed's rhythm is one match
 * event then the three market prices of the same fixture (a match minute moves the prices), so
 * event i goes to topic i mod 4 of fixture ⌊i/4⌋ mod n: a quarter of the events reach every
 * socket (through `scores`), the rest the sockets of one fixture.
 */
export interface Workload {
  fixtures: readonly string[];
  /** The channels socket `g` subscribes to. */
  channelsOf(g: number): string[];
  /** Event `i`'s topic. */
  topicOf(i: number): LiveTopic;
  /** Sockets of `sockets` in all that event `i` reaches. */
  reach(i: number, sockets: number): number;
  /** Every market topic of the round (published once before sockets subscribe: snapshots). */
  marketTopics(): LiveTopic[];
}

const kinds: readonly MarketKind[] = ["1x2", "ou25", "btts"];
const prices: Record<MarketKind, Record<string, number>> = {
  "1x2": { home: 0.45, draw: 0.27, away: 0.28 },
  ou25: { over: 0.55, under: 0.45 },
  btts: { yes: 0.52, no: 0.48 },
};

export function createWorkload(fixtureCount: number): Workload {
  const fixtures = loadDataset()
    .matches.filter((m) => m.season === currentSeason)
    .slice(0, fixtureCount)
    .map((m) => m.id);
  if (fixtures.length < fixtureCount) throw new Error(`the season has fewer than ${fixtureCount} fixtures`);
  const n = fixtures.length;
  // Sockets of fixture f among the first `sockets`: those g < sockets with g mod n = f.
  const socketsOf = (f: number, sockets: number) => Math.floor(sockets / n) + (f < sockets % n ? 1 : 0);
  return {
    fixtures,
    channelsOf(g) {
      const fixture = fixtures[g % n]!;
      return ["scores", ...kinds.map((kind) => `market.${marketId(fixture, kind)}`)];
    },
    topicOf(i) {
      const fixture = fixtures[Math.floor(i / 4) % n]!;
      const slot = i % 4;
      return slot === 0 ? `match.${fixture}` : `market.${marketId(fixture, kinds[slot - 1]!)}`;
    },
    reach(i, sockets) {
      return i % 4 === 0 ? sockets : socketsOf(Math.floor(i / 4) % n, sockets);
    },
    marketTopics: () => fixtures.flatMap((f) => kinds.map((k): LiveTopic => `market.${marketId(f, k)}`)),
  };
}

/**
 * Event `i`'s data: a valid match or market event (docs/protocol.md "Channels") plus the phase it
 * belongs to and `sentAt`, the publish time in epoch ms (`epochNow`, one clock for every process
 * of the machine), from which each client measures delivery.
 */
export function eventData(topic: LiveTopic, i: number, phase: string, sentAt: number): unknown {
  if (topic.startsWith("match.")) {
    const matchId = topic.slice("match.".length);
    return {
      matchId,
      kind: "minute",
      minute: 1 + (i % 90),
      score: { home: 1, away: 0 },
      phase,
      n: i,
      sentAt,
    };
  }
  const id = topic.slice("market.".length);
  const kind = id.slice(id.lastIndexOf(".") + 1) as MarketKind;
  return { marketId: id, status: "open", prices: prices[kind], phase, n: i, sentAt };
}
