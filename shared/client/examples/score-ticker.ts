/**
 * A live-score ticker that prints every goal of the league exactly once, across reconnects and
 * gateway restarts:
 *
 *   npx tsx shared/client/examples/score-ticker.ts --url http://127.0.0.1:8080
 *
 * The `scores` subscription resumes where it was after a reconnect, so nothing is missed and
 * nothing repeats. When a restart lost the channel's history, the client yields a snapshot
 * instead (`recovered:false`): its last 20 match events are read for goals too, and a goal is
 * known by its match and the score it made, so one already printed is not printed again.
 * `--max-goals N` exits after N goals (for tests).
 */
import { connect } from "../mod.js";
import { exampleOptions, webSocketClass } from "./options.js";

interface MatchEvent {
  matchId: string;
  kind: string;
  minute: number;
  score: { home: number; away: number };
  player?: string;
}

const { values, base, wsUrl, getToken } = exampleOptions({ "max-goals": { type: "string" } });
const maxGoals = values["max-goals"] === undefined ? Number.POSITIVE_INFINITY : Number(values["max-goals"]);

const names = new Map<string, string>();
async function fixtureName(matchId: string): Promise<string> {
  if (!names.has(matchId)) {
    const res = await fetch(`${base}/api/matches/${encodeURIComponent(matchId)}`);
    const match = res.ok ? ((await res.json()) as { home: string; away: string }) : undefined;
    names.set(matchId, match === undefined ? matchId : `${match.home} v ${match.away}`);
  }
  return names.get(matchId)!;
}

const printed = new Set<string>();
async function onMatchEvent(event: MatchEvent) {
  if (event.kind !== "goal") return;
  const key = `${event.matchId} ${event.score.home}-${event.score.away}`;
  if (printed.has(key)) return;
  printed.add(key);
  const scorer = event.player === undefined ? "" : ` (${event.player})`;
  console.log(
    `GOAL ${event.minute}' ${await fixtureName(event.matchId)} ${event.score.home}-${event.score.away}${scorer} [${event.matchId}]`,
  );
}

const client = connect({ url: wsUrl, getToken, WebSocket: await webSocketClass() });
client.onState((s) => console.error(`[connection ${s.state}]`));
for await (const message of client.subscribe("scores")) {
  if (message.type === "snapshot") {
    for (const recent of (message.data as { events: { data: MatchEvent }[] }).events) {
      await onMatchEvent(recent.data);
    }
  } else {
    await onMatchEvent(message.data as MatchEvent);
  }
  if (printed.size >= maxGoals) break;
}
client.close();
