import type { Dataset, Season } from "../../../../shared/epl/dataset.js";
import { seasons } from "../../../../shared/epl/dataset.js";
import { teamsMentioned } from "../../../../shared/epl/teams.js";
import { readTradeAsk, type TradeAsk } from "./trade-words.js";

/** What the offline model understood of the user's message. */
export interface Question {
  text: string;
  /** Teams named in the text (or in a match id of its context), in order of appearance. */
  teams: string[];
  season?: Season;
  /** "last 8 games" → 8. */
  count?: number;
  asksTable: boolean;
  asksForm: boolean;
  /** Names of the tools the agent offers. */
  tools: ReadonlySet<string>;
  /** The text in lower case, for the skills' own keyword tests. */
  lower: string;
  /** From the run's context line ("Context: match …, market …"). */
  matchId?: string;
  marketId?: string;
  trade?: TradeAsk;
}

const tableWords =
  /\b(table|standings?|league|positions?|top|bottom|lead(s|er|ers|ing)?|title|champions?|relegat\w*|points|rank\w*|best|worst|place[ds]?)\b/;
const formWords = /\b(form|recent(ly)?|lately|last \d+|streak|run|results?|doing|playing|momentum)\b/;

export function readQuestion(data: Dataset, text: string, tools: ReadonlySet<string>): Question {
  const lower = text.toLowerCase();
  const question: Question = {
    text,
    // "Liverpool's form" names Liverpool.
    teams: teamsMentioned(data, text.replace(/['’]s\b/g, "")),
    asksTable: tableWords.test(lower),
    asksForm: formWords.test(lower),
    tools,
    lower,
  };
  const matchId = /\bcontext: .*\bmatch ([a-z0-9.-]+)/.exec(lower);
  if (matchId) question.matchId = matchId[1]!.replace(/[.,]$/, "");
  const marketId = /\bcontext: .*\bmarket ([a-z0-9.-]+)/.exec(lower);
  if (marketId) question.marketId = marketId[1]!.replace(/,$/, "");
  const trade = readTradeAsk(lower.replace(/\n\ncontext: .*$/s, ""), question.teams);
  if (trade) question.trade = trade;
  const season = readSeason(lower);
  if (season !== undefined) question.season = season;
  const count = /\blast (\d{1,2})\b|\b(\d{1,2}) (games|matches)\b/.exec(lower);
  if (count) question.count = Math.min(38, Math.max(1, Number(count[1] ?? count[2])));
  return question;
}

function readSeason(lower: string): Season | undefined {
  const named = /\b20(\d\d)\s*[-/]\s*(20)?(\d\d)\b/.exec(lower);
  if (named) {
    const season = `20${named[1]}-${named[3]}`;
    return seasons.find((s) => s === season);
  }
  // The newest season is the current one.
  if (/\blast season\b/.test(lower)) return seasons.at(-2);
  return undefined;
}
