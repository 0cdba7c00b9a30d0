import { shortName } from "../../../../shared/epl/dataset.js";
import type { StandingRow } from "../../../../shared/epl/standings.js";
import type { OfflineSkill } from "./skill.js";
import { listing, ordinal, plural, signed } from "./words.js";

interface StandingsOutput {
  season: string;
  matchesPlayed: number;
  /** Clubs in the league: `table` holds only the clubs asked about when the call named them. */
  clubs: number;
  table: StandingRow[];
}

const relegationPlaces = 3;

export const standingsSkill: OfflineSkill = {
  tool: "getStandings",
  topic: "the league table of any season since 2023-24",
  plan(q) {
    // An order to trade is carried out, not analysed.
    if (q.trade?.instructed) return [];
    const about = q.asksTable || q.teams.length >= 2 || (q.teams.length === 1 && !q.asksForm);
    if (!about) return [];
    return [
      {
        ...(q.season === undefined ? {} : { season: q.season }),
        // Clubs asked about need their rows only: a tenth of the table's bytes in every hop.
        ...(q.teams.length > 0 && !asksWholeTable(q.lower) ? { teams: q.teams.slice(0, 20) } : {}),
      },
    ];
  },
  write(findings, q) {
    const { season, matchesPlayed, clubs, table } = findings.at(-1)!.output as StandingsOutput;
    const fixtures = clubs * (clubs - 1);
    const finished = matchesPlayed === fixtures;
    const rows = q.teams.map((team) => ({ team, row: table.find((r) => r.team === team) }));
    // "The table and Arsenal's form" asks for both: the clubs' lines, then the table.
    const teamLines = rows.length > 0 ? aboutTeams(season, rows, finished) : [];
    if (rows.length > 0 && !asksWholeTable(q.lower)) return teamLines;

    const [first, second] = table;
    if (!first || !second) return [];
    const gap = first.points - second.points;
    const paragraphs = [
      ...teamLines,
      `${finished ? `${short(first)} won the ${season} title` : `After ${matchesPlayed} of ${fixtures} matches of ${season}, ${short(first)} lead the table`} with ${plural(first.points, "point")}, ${gap === 0 ? `level with ${short(second)} on points` : `${plural(gap, "point")} ${finished ? "ahead of" : "clear of"} ${short(second)}`} (${second.points}). ` +
        `The top four: ${listing(table.slice(0, 4).map((r) => `${short(r)} ${r.points}`))}. ` +
        `${finished ? "Relegated" : "In the relegation places"}: ${listing(table.slice(-relegationPlaces).map((r) => `${short(r)} ${r.points}`))}.`,
    ];
    if (q.asksTable) {
      paragraphs.push(
        table
          .map(
            (r) =>
              `${r.position}. ${short(r)}: ${r.points} pts from ${r.played}, GD ${signed(r.goalDifference)}, form ${r.form || "-"}`,
          )
          .join("\n"),
      );
    }
    return paragraphs;
  },
};

/**
 * Whether the text asks for the league's table, not only named clubs' places in it: "the table",
 * "the standings", but not "both clubs' standings" or "Arsenal's standings".
 */
function asksWholeTable(lower: string): boolean {
  const clubsOwn = /\b(?:[a-z]+['’]s?|their|its)\s+(?:league\s+)?standings?\b/g;
  return /\b(table|standings)\b/.test(lower.replace(clubsOwn, ""));
}

function aboutTeams(
  season: string,
  rows: { team: string; row: StandingRow | undefined }[],
  finished: boolean,
): string[] {
  const sentences = rows.map(({ team, row }) => {
    if (!row) return `${shortName(team)} are not in the ${season} Premier League.`;
    return (
      `${short(row)} ${finished ? "finished" : "are"} ${ordinal(row.position)} in ${season} with ` +
      `${plural(row.points, "point")} from ${plural(row.played, "game")} (${row.won} won, ${row.drawn} drawn, ` +
      `${row.lost} lost; ${row.goalsFor} scored, ${row.goalsAgainst} conceded, goal difference ` +
      `${signed(row.goalDifference)})${row.form ? `, and their last five in the table read ${row.form}` : ""}.`
    );
  });
  const [a, b] = rows.map((r) => r.row);
  if (a && b && a.team !== b.team) {
    const [upper, lower] = a.position < b.position ? [a, b] : [b, a];
    const gap = upper.points - lower.points;
    sentences.push(
      `That puts ${short(upper)} ${lower.position - upper.position} ${lower.position - upper.position === 1 ? "place" : "places"} above ${short(lower)}` +
        `${gap === 0 ? ", level on points" : ` and ${plural(gap, "point")} better off`}.`,
    );
  }
  return [sentences.join(" ")];
}

function short(row: StandingRow): string {
  return shortName(row.team);
}
