import type { MarketKind } from "../../shared/epl/markets.js";
import { type MarketScores, type Metric, metrics, scoreForecasts } from "./forecast-scores.js";
import { type EvaluationWindow, type Forecast, kinds } from "./rolling-evaluation.js";

export interface WindowReport {
  name: string;
  window: EvaluationWindow;
  matches: number;
  /** Distinct fits per forecaster: the matchweeks of the window. */
  fits: number;
  scores: Record<MarketKind, MarketScores>;
}

export function reportWindow(
  name: string,
  window: EvaluationWindow,
  forecasts: readonly Forecast[],
): WindowReport {
  return {
    name,
    window,
    matches: forecasts.length,
    fits: new Set(forecasts.map((x) => x.fittedBefore)).size,
    scores: scoreForecasts(forecasts),
  };
}

const marketNames: Record<MarketKind, string> = { "1x2": "1X2", ou25: "O/U 2.5", btts: "BTTS" };
const metricNames: Record<Metric, string> = { logLoss: "log-loss", brier: "Brier", rps: "RPS" };
const number = (x: number) => x.toFixed(4);
const signed = (x: number) => (x < 0 ? `−${(-x).toFixed(4)}` : `+${x.toFixed(4)}`);

/**
 * The window's scores as a Markdown table (also how the CLI prints it): per market and metric,
 * the three forecasters' means and the model's paired differences ± one standard error. A
 * difference in bold is below zero by more than one standard error: the model is better.
 */
export function summaryTable(report: WindowReport): string {
  const { window } = report;
  const day = (iso: string) => iso.slice(0, 10);
  const lastDay = new Date(Date.parse(window.testTo) - 1).toISOString().slice(0, 10);
  const header =
    `${report.name}: ${report.matches} matches ${day(window.testFrom)}..${lastDay}, ` +
    `trained before ${day(window.trainBefore)}, ${window.refit === "once" ? "one fit" : `refit before each of ${report.fits} matchweeks`}`;
  const cell = (e: { mean: number; standardError: number }) => {
    const text = `${signed(e.mean)} ± ${e.standardError.toFixed(4)}`;
    return e.mean < -e.standardError ? `**${text}**` : text;
  };
  const rows = kinds.flatMap((kind) =>
    metrics.map((metric) => {
      const s = report.scores[kind];
      const score = s.scores[metric];
      return `| ${marketNames[kind]} | ${metricNames[metric]} | ${number(score.model)} | ${number(score.baseline)} | ${number(score.baseRate)} | ${cell(s.versusBaseline[metric])} | ${cell(s.versusBaseRate[metric])} |`;
    }),
  );
  return [
    header,
    "",
    "| market | metric | model | baseline | base rate | model − baseline | model − base rate |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
