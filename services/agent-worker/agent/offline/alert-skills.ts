import type { AlertView } from "../../../../shared/journal/alert-book.js";
import { fixtureName, foundFixture, outcomeName, resolveTarget } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";
import { readTarget } from "./trade-words.js";
import { plural } from "./words.js";

const alertWords = /\b(alerts?|notify|tell me when|let me know|ping me|warn me|remind me)\b/;
const listWords = /\b(list|show|what|which|my alerts|active|have)\b/;
const deleteWords = /\b(delete|remove|cancel|drop|clear)\b/;
const scoreWords = /\b(scores?|goals?|half[- ]?time|full[- ]?time|kick[- ]?off|result)\b/;

function levelOf(lower: string): number | undefined {
  const decimal = /(?:^|[^\d.])(0?\.\d{1,4})\b/.exec(lower);
  if (decimal) return Number(decimal[1]);
  const percent = /\b(\d{1,2})\s*%/.exec(lower);
  return percent ? Number(percent[1]) / 100 : undefined;
}

export const createAlertSkill: OfflineSkill = {
  tool: "createAlert",
  topic: "price and score alerts",
  plan(q, findings) {
    if (!alertWords.test(q.lower) || deleteWords.test(q.lower)) return [];
    const fixture = foundFixture(findings);
    if (!fixture) return [];
    const level = levelOf(q.lower.replace(/\b(over|under) 2\.5\b/g, "$1 goals"));
    if (level !== undefined && level > 0 && level < 1) {
      const target = readTarget(q.lower.replace(/\b(win|wins|winning) price\b/g, "price"), q.teams);
      const resolved = target && resolveTarget(target, fixture);
      if (!resolved) return [];
      const below = /\b(below|drops?|falls?|less than|sinks?)\b/.test(q.lower.replace(/\bunder 2\.5\b/g, ""));
      return [{ kind: "price", ...resolved, direction: below ? "below" : "above", price: level }];
    }
    return scoreWords.test(q.lower) ? [{ kind: "score", matchId: fixture.matchId }] : [];
  },
  write(findings, _q, all) {
    const fixture = foundFixture(all);
    return findings.map((f) => {
      const out = f.output as {
        alert: AlertView;
        market?: { title: string; priceNow: number };
        holdsNow?: boolean;
        match?: { kickoff: string };
      };
      const a = out.alert;
      if (a.kind === "price") {
        return (
          `Alert ${a.alertId} is set: you'll get an alert on your user channel when ${outcomeName(a.marketId, a.outcome, fixture)} in ${out.market?.title ?? a.marketId} ` +
          `reaches ${a.price} or ${a.direction === "above" ? "more" : "less"} (it is ${out.market?.priceNow} now).` +
          (out.holdsNow
            ? ` Warning: the price is already ${a.direction} ${a.price}, so this alert will fire on the very next price move. Delete it (alert ${a.alertId}) and set a level the price has not reached if that is not what you want.`
            : "")
        );
      }
      return (
        `Alert ${a.alertId} is set: you'll get an alert on your user channel for every goal, half time and full time of ` +
        `${fixture ? fixtureName(fixture) : a.matchId} (kick-off ${out.match?.kickoff.slice(0, 16).replace("T", " ")} UTC).`
      );
    });
  },
};

export const listAlertsSkill: OfflineSkill = {
  tool: "listAlerts",
  topic: "your alerts",
  plan(q) {
    return /\balerts?\b/.test(q.lower) && listWords.test(q.lower) && !/\bwhen\b/.test(q.lower) ? [{}] : [];
  },
  write(findings) {
    const { alerts } = findings.at(-1)!.output as { alerts: AlertView[] };
    if (alerts.length === 0) return ["You have no alerts set."];
    const lines = alerts.map((a) =>
      a.kind === "price"
        ? `${a.alertId}: price of ${a.outcome} in ${a.marketId} ${a.direction} ${a.price}`
        : `${a.alertId}: goals, half time and full time of ${a.matchId}`,
    );
    return [`You have ${plural(alerts.length, "alert")}: ${lines.join("; ")}.`];
  },
};

export const deleteAlertSkill: OfflineSkill = {
  tool: "deleteAlert",
  topic: "deleting an alert",
  plan(q) {
    const id = /\balert\s*#?\s*(\d{1,18})\b|#(\d{1,18})\b/.exec(q.lower);
    return deleteWords.test(q.lower) && id ? [{ alertId: id[1] ?? id[2] }] : [];
  },
  write(findings) {
    return findings.map((f) => `Alert ${(f.output as { deleted: string }).deleted} is deleted.`);
  },
};
