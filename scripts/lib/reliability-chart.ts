import type { TopLevelSpec } from "vega-lite";
import { renderSvg } from "../../loadtest/lib/svg-chart.js";
import type { ReliabilityBin } from "./reliability.js";

/**
 * A reliability diagram as a standalone SVG: per forecaster, each bin's mean prediction against
 * its observed frequency (point area ∝ forecasts in the bin), and the diagonal a calibrated
 * forecaster would follow.
 */
export async function reliabilitySvg(
  title: string,
  series: Record<string, readonly ReliabilityBin[]>,
): Promise<string> {
  const points = Object.entries(series).flatMap(([forecaster, bins]) =>
    bins.map((b) => ({ forecaster, predicted: b.meanPredicted, observed: b.observed, n: b.n })),
  );
  const axis = { type: "quantitative" as const, scale: { domain: [0, 1] } };
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 320,
    height: 320,
    background: "white",
    layer: [
      {
        data: { values: [{ p: 0 }, { p: 1 }] },
        mark: { type: "line", color: "#999", strokeDash: [4, 4] },
        encoding: {
          x: { field: "p", ...axis, title: "mean predicted probability" },
          y: { field: "p", ...axis },
        },
      },
      {
        data: { values: points },
        mark: { type: "line", point: false, opacity: 0.5 },
        encoding: {
          x: { field: "predicted", ...axis },
          y: { field: "observed", ...axis, title: "observed frequency" },
          color: { field: "forecaster", type: "nominal" },
        },
      },
      {
        data: { values: points },
        mark: { type: "circle", opacity: 0.8 },
        encoding: {
          x: { field: "predicted", ...axis },
          y: { field: "observed", ...axis },
          color: { field: "forecaster", type: "nominal" },
          size: { field: "n", type: "quantitative", title: "forecasts" },
        },
      },
    ],
  };
  return `${await renderSvg(spec)}\n`;
}
