import { type Dataset, shortName } from "../../../shared/epl/dataset.js";

export interface HeadToHead {
  teams: [string, string];
  /** Played meetings, newest first. */
  meetings: {
    matchId: string;
    date: string;
    home: string;
    away: string;
    score: string;
    winner: string | null;
  }[];
  /** Wins of each of `teams`, in order, and draws. */
  wins: [number, number];
  draws: number;
  goals: [number, number];
  /** The next meeting not yet played, if the data has one. */
  next?: { matchId: string; date: string; home: string; away: string };
}

/** Every finished meeting of two teams in the data (any venue), with totals from `a`'s side first. */
export function headToHead(data: Dataset, a: string, b: string): HeadToHead {
  const result: HeadToHead = { teams: [a, b], meetings: [], wins: [0, 0], draws: 0, goals: [0, 0] };
  for (const m of data.matches) {
    const pair = (m.home === a && m.away === b) || (m.home === b && m.away === a);
    if (!pair) continue;
    if (m.status !== "finished") {
      result.next ??= { matchId: m.id, date: m.date, home: m.home, away: m.away };
      continue;
    }
    const ft = m.fullTime!;
    const aGoals = m.home === a ? ft.home : ft.away;
    const bGoals = m.home === a ? ft.away : ft.home;
    result.goals[0] += aGoals;
    result.goals[1] += bGoals;
    if (aGoals > bGoals) result.wins[0]++;
    else if (bGoals > aGoals) result.wins[1]++;
    else result.draws++;
    result.meetings.unshift({
      matchId: m.id,
      date: m.date,
      home: m.home,
      away: m.away,
      score: `${ft.home}-${ft.away}`,
      winner: aGoals === bGoals ? null : shortName(aGoals > bGoals ? a : b),
    });
  }
  return result;
}
