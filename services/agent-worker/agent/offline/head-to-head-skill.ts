import { shortName } from "../../../../shared/epl/dataset.js";
import type { HeadToHead } from "../../platform/head-to-head.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

const meetingWords =
  /\b(head[- ]to[- ]head|h2h|meet\w*|against|record|history|compare|comparison|versus|vs|v|previous|past)\b/;

export const getHeadToHeadSkill: OfflineSkill = {
  tool: "getHeadToHead",
  topic: "two clubs' meetings",
  plan(q) {
    const [a, b] = q.teams;
    if (a === undefined || b === undefined || !meetingWords.test(q.lower)) return [];
    return [{ teamA: shortName(a), teamB: shortName(b) }];
  },
  write(findings) {
    const h = findings.at(-1)!.output as HeadToHead;
    const [a, b] = h.teams.map(shortName) as [string, string];
    if (h.meetings.length === 0) return [`${a} and ${b} have not met in the Premier League since 2023-24.`];
    const latest = h.meetings[0]!;
    const next = h.next
      ? ` Next: ${shortName(h.next.home)} v ${shortName(h.next.away)} on ${h.next.date}.`
      : "";
    return [
      `${a} and ${b} have met ${plural(h.meetings.length, "time")} since 2023-24: ${a} won ${h.wins[0]}, ${b} won ${h.wins[1]}, ${h.draws} drawn; goals ${h.goals[0]}-${h.goals[1]}. ` +
        `Latest: ${latest.date}, ${shortName(latest.home)} ${latest.score} ${shortName(latest.away)}.${next}`,
    ];
  },
};
