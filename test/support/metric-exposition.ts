import { parseSampleLine } from "../../shared/metrics/prometheus-text.js";

/**
 * What a `/metrics` answer (Prometheus text format) holds: the metric names that have samples,
 * the names the registry declares (`# TYPE`, histograms and summaries expanded to the series
 * Prometheus stores: `_bucket`, `_sum`, `_count`), and each sample's labels.
 */
export interface Exposition {
  /** Names with at least one sample: the series Prometheus would store from this scrape. */
  sampled: Set<string>;
  /** Names the registry declares, with or without samples (a labelled metric never set has none). */
  declared: Set<string>;
  samples: { name: string; labels: Record<string, string> }[];
}

export function parseExposition(text: string): Exposition {
  const sampled = new Set<string>();
  const declared = new Set<string>();
  const samples: Exposition["samples"] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) declared.add(`${name}${s}`);
      else if (kind === "summary") for (const s of ["", "_sum", "_count"]) declared.add(`${name}${s}`);
      else declared.add(name!);
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") continue;
    const sample = parseSampleLine(line);
    if (sample === undefined) throw new Error(`not a sample line: ${line}`);
    sampled.add(sample.name);
    samples.push({ name: sample.name, labels: sample.labels });
  }
  return { sampled, declared, samples };
}
