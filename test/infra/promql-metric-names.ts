/**
 * The metric names a PromQL expression selects, read with a tokenizer rather than a regular
 * expression over the text: string literals, label matchers inside `{…}`, the label lists after
 * `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`, range and subquery
 * durations inside `[…]`, `offset` and `@` modifiers, function and aggregation names (an
 * identifier followed by `(`), keywords and numbers are all skipped. A selector written as
 * `{__name__="x"}` names x; one that matches names by a regular expression cannot be checked and
 * throws. Grafana's variables (`$service`, `${x}`, `$__rate_interval`) are skipped too.
 */
export function metricNames(expr: string): Set<string> {
  const names = new Set<string>();
  const tokens = tokenize(expr);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "braces") {
      for (const name of nameMatchers(token.text)) names.add(name);
      continue;
    }
    if (token.kind !== "identifier") continue;
    const next = tokens[i + 1];
    const word = token.text;
    const keyword = word.toLowerCase();
    if (labelListKeywords.has(keyword)) {
      if (next?.kind === "parens") i++;
      continue;
    }
    // `offset 5m`: its duration is a number token.
    if (keyword === "offset" || operatorKeywords.has(keyword)) continue;
    // A function or an aggregation: `rate(`, `sum(`, `sum by (…) (`.
    if (next?.kind === "open") continue;
    if (aggregations.has(keyword) && next?.kind === "identifier") continue;
    names.add(word);
  }
  return names;
}

type TokenKind = "identifier" | "braces" | "brackets" | "parens" | "open" | "other";
interface Token {
  kind: TokenKind;
  text: string;
}

const labelListKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const operatorKeywords = new Set(["and", "or", "unless", "bool", "atan2", "inf", "nan"]);
const aggregations = new Set([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "limitk",
  "limit_ratio",
]);

const identifierStart = /[A-Za-z_:]/;
const identifierPart = /[A-Za-z0-9_:]/;
const number =
  /^(?:0x[0-9a-f]+|(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?/i;

/**
 * Splits an expression into identifiers and the groups that hide identifiers that are not metric
 * names: `{…}` (matchers), `[…]` (durations), and a `(…)` directly after a label-list keyword.
 * Any other `(` is an "open" token so the identifier before it reads as a function.
 */
function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      // A comment runs to the end of the line.
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === '"' || c === "'" || c === "`") {
      i = skipString(expr, i);
      tokens.push({ kind: "other", text: "string" });
    } else if (c === "{" || c === "[") {
      const end = closing(expr, i, c === "{" ? "}" : "]");
      tokens.push({ kind: c === "{" ? "braces" : "brackets", text: expr.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "(") {
      const previous = tokens.at(-1);
      if (previous?.kind === "identifier" && labelListKeywords.has(previous.text.toLowerCase())) {
        const end = closing(expr, i, ")");
        tokens.push({ kind: "parens", text: expr.slice(i + 1, end) });
        i = end + 1;
      } else {
        tokens.push({ kind: "open", text: "(" });
        i++;
      }
    } else if (c === "$") {
      // A Grafana variable: `$name`, `$__name` or `${name}`.
      i++;
      if (expr[i] === "{") i = closing(expr, i, "}") + 1;
      else while (i < expr.length && identifierPart.test(expr[i]!)) i++;
    } else if (c === "@") {
      // `@ <timestamp>` or `@ start()` / `@ end()`: never a metric.
      i++;
      while (i < expr.length && /\s/.test(expr[i]!)) i++;
      while (i < expr.length && /[A-Za-z0-9_.]/.test(expr[i]!)) i++;
    } else if (/[0-9.]/.test(c)) {
      const match = number.exec(expr.slice(i));
      i += match ? match[0].length : 1;
      tokens.push({ kind: "other", text: "number" });
    } else if (identifierStart.test(c)) {
      let end = i + 1;
      while (end < expr.length && identifierPart.test(expr[end]!)) end++;
      tokens.push({ kind: "identifier", text: expr.slice(i, end) });
      i = end;
    } else {
      tokens.push({ kind: "other", text: c });
      i++;
    }
  }
  return tokens;
}

/** The index just past the string literal that starts at `start`. */
function skipString(expr: string, start: number): number {
  const quote = expr[start]!;
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += quote !== "`" && expr[i] === "\\" ? 2 : 1;
  if (i >= expr.length) throw new Error(`unterminated string at ${start} in: ${expr}`);
  return i + 1;
}

/** The index of the `close` matching the opener at `start`, skipping string literals and nesting. */
function closing(expr: string, start: number, close: string): number {
  const open = expr[start]!;
  let depth = 0;
  for (let i = start; i < expr.length; ) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(expr, i);
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
    i++;
  }
  throw new Error(`no ${close} for the ${open} at ${start} in: ${expr}`);
}

/** Names given by `__name__` matchers inside `{…}`. */
function nameMatchers(matchers: string): string[] {
  const found: string[] = [];
  const pattern = /__name__\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (const [, op, quoted] of matchers.matchAll(pattern)) {
    if (op !== "=")
      throw new Error(`a __name__${op} matcher names no metric that can be checked: {${matchers}}`);
    found.push(quoted!.slice(1, -1));
  }
  return found;
}
