/** One sample of a Prometheus text exposition: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** One line of an exposition as a sample; undefined for a comment, a blank or a malformed line. */
export function parseSampleLine(line: string): Sample | undefined {
  const match = sampleLine.exec(line);
  if (match === null) return undefined;
  const labels: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? "").matchAll(labelPair))
    labels[key!] = value!.replace(/\\(.)/g, "$1");
  return { name: match[1]!, labels, value: Number(match[3]) };
}

/** Every sample of an exposition (comments skipped), for tests and tools that read `/metrics`. */
export function parseSamples(text: string): Sample[] {
  return text.split("\n").flatMap((line) => parseSampleLine(line) ?? []);
}

/**
 * The sum of the samples named `name` whose labels include `labels` (undefined when there are
 * none): a counter across the label values left out, or one gauge named exactly.
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = parseSamples(text).filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}
