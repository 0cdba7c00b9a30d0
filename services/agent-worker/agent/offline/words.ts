/** The offline model's token: a word with the whitespace before it, so tokens concatenate back. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/**
 * Tokens counted as words (runs of non-whitespace, as `/\S+/g` finds them), the offline model's
 * unit of usage. Counted without building the words: every model step counts its whole
 * conversation, tool results included.
 */
export function countTokens(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/**
 * `countTokens(JSON.stringify(value))` without building the JSON: every model step counts its
 * whole conversation, and escaping a tool result's JSON again only to count it cost the offline
 * model about a tenth of a run. JSON text starts with `{`, `[` or `"` and has no whitespace outside
 * its strings, and inside them every whitespace character below U+0020 is escaped into visible
 * characters: so the count is one, plus one for every run of the unescaped whitespace in its
 * strings (keys included), each of which a visible character follows. Values JSON would not
 * write as they are (`toJSON`, numbers that are not finite, class instances) are counted from
 * their JSON.
 */
export function countJsonTokens(value: unknown): number {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return 0;
  return 1 + jsonSpaceRuns(value);
}

function jsonSpaceRuns(value: unknown): number {
  if (typeof value === "string") return spaceRuns(value);
  if (value === null || typeof value !== "object") return 0;
  if (Array.isArray(value)) {
    let runs = 0;
    for (const item of value) runs += jsonSpaceRuns(item);
    return runs;
  }
  const proto = Object.getPrototypeOf(value);
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    const json = JSON.stringify(value);
    return json === undefined ? 0 : countTokens(json) - 1;
  }
  let runs = 0;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    runs += spaceRuns(key) + jsonSpaceRuns(item);
  }
  return runs;
}

/** Runs of whitespace JSON writes as it is (U+0020 and above), each to be followed by a visible character. */
function spaceRuns(text: string): number {
  let runs = 0;
  let inSpace = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const space = code >= 0x20 && isSpace(code);
    if (space && !inSpace) runs++;
    inSpace = space;
  }
  return runs;
}

/** ECMAScript's WhiteSpace and LineTerminator: what `\s` matches. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

export function signed(n: number): string {
  return n > 0 ? `+${n}` : `${n}`;
}

/** "a, b and c". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const stopWords = new Set(
  "a about an and are as at be by can do does for from get give how i in is it know me much my of on one or please show tell the to too what when where which who why will with work you your".split(
    " ",
  ),
);

/** Lower-case content words of `text`, for matching a question against facts. */
export function contentWords(text: string): Set<string> {
  const words =
    text
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toLowerCase()
      .match(/[a-z0-9]+/g) ?? [];
  return new Set(words.filter((w) => !stopWords.has(w)).map(stem));
}

function stem(word: string): string {
  return word.length > 4 ? word.replace(/(ies|es|s|ing|ed)$/, "") : word;
}
