import { currentSeason, shortName } from "../../../../shared/epl/dataset.js";
import type { TeamForm } from "../../../../shared/epl/standings.js";
import type { OfflineSkill } from "./skill.js";
import { plural } from "./words.js";

type FormOutput = TeamForm & { form: string };

/** Teams looked up for one question at most: a fixture is two, a comparison a few. */
const maxTeams = 4;
/** Matches named one by one ("last 5" is five matches); a longer run is summarised. */
const maxListed = 10;

export const teamFormSkill: OfflineSkill = {
  tool: "getTeamForm",
  topic: "any club's recent results and form",
  plan(q) {
    const onlyTable = q.asksTable && !q.asksForm && q.teams.length === 1 && q.tools.has("getStandings");
    // "Recent form" says nothing about a past season asked after.
    const pastSeason = q.season !== undefined && q.season !== currentSeason && !q.asksForm;
    if (onlyTable || pastSeason || q.trade?.instructed) return [];
    return q.teams.slice(0, maxTeams).map((team) => ({
      team: shortName(team),
      ...(q.count === undefined ? {} : { count: q.count }),
    }));
  },
  write(findings) {
    const forms = findings.map((f) => f.output as FormOutput).filter((f) => f.matches.length > 0);
    const sentences = forms.map((f) => {
      const n = f.matches.length;
      const latest = f.matches[0]!;
      return (
        `${shortName(f.team)} have taken ${f.points} of ${n * 3} points from their last ${plural(n, "match", "matches")} ` +
        `(W${f.won} D${f.drawn} L${f.lost}, newest first ${f.form}), scoring ${f.goalsFor} and conceding ${f.goalsAgainst}. ` +
        (n <= maxListed
          ? `Match by match, newest first: ${f.matches.map((m) => `${m.date} ${describe(m)}`).join("; ")}.`
          : `Most recently, on ${latest.date}, they ${describe(latest)}.`)
      );
    });
    if (forms.length >= 2) sentences.push(compare(forms));
    return sentences.length === 0 ? [] : [sentences.join(" ")];
  },
};

function describe(m: FormOutput["matches"][number]): string {
  const [home, away] = m.score.split("-").map(Number) as [number, number];
  const [ours, theirs] = m.venue === "home" ? [home, away] : [away, home];
  const opponent = shortName(m.opponent);
  const where = m.venue === "home" ? "at home" : "away";
  if (m.result === "W") return `beat ${opponent} ${ours}-${theirs} ${where}`;
  if (m.result === "D") return `drew ${ours}-${theirs} with ${opponent} ${where}`;
  return `lost ${ours}-${theirs} to ${opponent} ${where}`;
}

/** Form compared per match played, so different sample sizes stay fair. */
function compare(forms: FormOutput[]): string {
  const rate = (f: FormOutput) => f.points / f.matches.length;
  const sorted = [...forms].sort((a, b) => rate(b) - rate(a));
  const best = sorted[0]!;
  const worst = sorted.at(-1)!;
  const label = (f: FormOutput) => `${shortName(f.team)} (${f.points} of ${f.matches.length * 3})`;
  if (rate(best) === rate(worst))
    return `On recent form there is nothing between them: ${forms.map(label).join(", ")}.`;
  return `On recent form ${label(best)} have the edge over ${label(worst)}.`;
}
