import { shortName } from "../../../../shared/epl/dataset.js";
import type { MatchState } from "../../platform/live-scores.js";
import { fixtureName, fixtureQuery } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";

const liveWords =
  /\b(live|scores?|moved?|movement|happening|minute|goals?|now|in[- ]play|result|watch|monitor|cards?|half|going)\b/;

export const getLiveScoreSkill: OfflineSkill = {
  tool: "getLiveScore",
  topic: "live scores and match events",
  plan(q) {
    const query = fixtureQuery(q);
    return query && liveWords.test(q.lower) ? [query] : [];
  },
  write(findings) {
    return findings.map((f) => {
      const m = f.output as MatchState;
      const name = fixtureName(m);
      if (m.status === "scheduled" || m.status === "postponed") {
        return `${name} has not kicked off: it is ${m.status} for ${m.kickoff.slice(0, 16).replace("T", " ")} UTC, so there is no live score yet.`;
      }
      const score = `${shortName(m.home)} ${m.score!.home}-${m.score!.away} ${shortName(m.away)}`;
      if (m.status === "finished") {
        const ht = m.halfTime ? ` (half time ${m.halfTime.home}-${m.halfTime.away})` : "";
        return `${name} finished ${score}${ht}${m.source === "results" ? ", the real result" : ""}.`;
      }
      const goals = m.events
        .filter((e) => e.kind === "goal" || e.kind === "card")
        .map(
          (e) =>
            `${e.minute}' ${e.kind}${e.team ? ` ${shortName(e.team)}` : ""}${e.player ? ` (${e.player})` : ""} ${e.score.home}-${e.score.away}`,
        );
      return (
        `${score}, minute ${m.minute} (${m.status === "halftime" ? "half time" : "live"}).` +
        (goals.length > 0 ? ` Events: ${goals.join("; ")}.` : " No goals or cards yet.")
      );
    });
  },
};
