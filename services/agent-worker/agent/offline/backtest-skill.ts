import type { Season } from "../../../../shared/epl/dataset.js";
import type { BacktestResult, Strategy } from "../../platform/backtest.js";
import { cr, pct } from "./fixture-findings.js";
import type { OfflineSkill } from "./skill.js";

const backtestWords = /\b(backtest\w*|back-test\w*|strateg\w*|simulat\w*|would have|back|backing|test)\b/;
/** The latest complete season: what "a past season" means when none is named. */
const defaultSeason: Season = "2024-25";

function strategyOf(lower: string): Strategy {
  if (/\bhome favou?rites?\b/.test(lower)) return "home_favourite";
  if (/\b(value|edges?)\b/.test(lower)) return "value";
  if (/\bunderdogs?\b/.test(lower)) return "underdog";
  if (/\b(higher|table|league position|better placed)\b/.test(lower)) return "higher_in_table";
  if (/\b(both teams|btts)\b/.test(lower)) return /\b(not|no)\b/.test(lower) ? "btts_no" : "btts_yes";
  if (/\bover 2\.5\b|\bovers\b/.test(lower)) return "over25";
  if (/\bunder 2\.5\b|\bunders\b/.test(lower)) return "under25";
  if (/\bdraws?\b/.test(lower)) return "draw";
  if (/\baway\b/.test(lower)) return "away";
  if (/\bhome\b/.test(lower)) return "home";
  return "favourite";
}

export const runBacktestSkill: OfflineSkill = {
  tool: "runBacktest",
  topic: "backtests of simple strategies over a past season",
  plan(q) {
    if (!backtestWords.test(q.lower)) return [];
    const stake = /\b(\d{1,4}(?:\.\d{1,2})?)\s*(?:credits?|cr)\b/.exec(q.lower);
    const threshold = thresholdOf(q.lower);
    return [
      {
        season: q.season ?? defaultSeason,
        strategy: strategyOf(q.lower),
        ...(stake ? { stake: Number(stake[1]) } : {}),
        ...(threshold === undefined ? {} : { threshold }),
      },
    ];
  },
  write(findings) {
    return findings.map((f) => {
      const r = f.output as BacktestResult;
      const skipped =
        r.skipped > 0
          ? ` ${r.skipped} early matches were left out: too few results before them to fit the model.`
          : "";
      const passed = r.passed > 0 ? ` It passed on ${r.passed} matches the rule did not pick.` : "";
      const prices =
        r.strategy === "value"
          ? "The prices stand in for a market that knows only how often each result happens, so this measures the model against base rates, not against a bookmaker."
          : "The prices are the model's own, so this measures the strategy against the model, not against a bookmaker.";
      return (
        `Strategy: back ${r.description}, at ${cr(r.stake)} a bet over the played matches of ${r.season}${r.strategy === "value" ? "" : ", at the model's pre-match price"}. ` +
        `${r.bets} bets, ${r.wins} won, a hit rate of ${pct(r.hitRate)}. Staked ${cr(r.staked)}, returned ${cr(r.returned)}: ` +
        `profit ${cr(r.profit)} (ROI ${pct(r.roi)}). Maximum drawdown ${cr(r.maxDrawdown)}; the longest winning run was ${r.bestRun} and the longest losing run ${-r.worstRun}.${passed}${skipped} ` +
        prices
      );
    });
  },
};

/** "value above 0.08", "an edge of at least 5%". */
function thresholdOf(lower: string): number | undefined {
  const m = /\b(?:value|edges?|threshold)\b[^?!]*?(?:(0?\.\d{1,3})|\b(\d{1,2})\s*%)/.exec(lower);
  if (!m) return undefined;
  const t = m[1] === undefined ? Number(m[2]) / 100 : Number(m[1]);
  return t >= 0.01 && t <= 0.5 ? t : undefined;
}
