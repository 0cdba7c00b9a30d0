/**
 * A parser for the subset of YAML the files under infra/ are written in, so the manifest test
 * can assert on structure without a YAML package (none is installed, and tests may not add
 * one). Supported: `---` documents, block mappings and sequences, plain/single/double-quoted
 * scalars, flow collections of scalars (`[a, "b"]`, `{ k: v }`), literal block scalars (`|`,
 * `|-`), anchors on mapping values, aliases and merge keys (`<<: *name`). Anything else (tags,
 * folded scalars, multi-line plain scalars, complex keys) throws with the line number, so a file
 * that drifts outside the subset fails the test instead of being read wrongly.
 */
export type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };

const keyLine =
  /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#[\]{},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/;

export function parseYamlDocuments(text: string): Yaml[] {
  const docs: string[][] = [[]];
  for (const line of text.split(/\r?\n/)) {
    if (/^---(\s|$)/.test(line)) docs.push([]);
    else if (/^\.\.\.(\s|$)/.test(line)) continue;
    else docs[docs.length - 1]!.push(line);
  }
  let offset = 0;
  const out: Yaml[] = [];
  for (const lines of docs) {
    const parser = new Parser(lines, offset);
    offset += lines.length + 1;
    const doc = parser.document();
    if (doc !== undefined) out.push(doc);
  }
  return out;
}

class Parser {
  private i = 0;
  private readonly anchors = new Map<string, Yaml>();

  constructor(
    private readonly lines: string[],
    private readonly firstLine: number,
  ) {}

  document(): Yaml | undefined {
    const next = this.peek();
    if (!next) return undefined;
    if (next.indent !== 0) this.fail("document must start at column 0");
    const node = this.node(0);
    if (this.peek()) this.fail("unexpected content after the document's root node");
    return node;
  }

  private fail(message: string): never {
    throw new Error(`yaml-subset: line ${this.firstLine + this.i + 1}: ${message}`);
  }

  /** Next line that is neither blank nor a comment, with its indentation. */
  private peek(): { indent: number; text: string } | undefined {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) {
        this.i++;
        continue;
      }
      if (/^\s*\t/.test(line)) this.fail("tabs are not allowed in indentation");
      const indent = line.length - line.trimStart().length;
      return { indent, text: stripComment(line.slice(indent)) };
    }
    return undefined;
  }

  private node(indent: number): Yaml {
    const next = this.peek()!;
    if (next.text === "-" || next.text.startsWith("- ")) return this.sequence(next.indent);
    if (keyLine.test(next.text)) return this.mapping(next.indent);
    this.i++;
    const value = this.inline(next.text);
    const after = this.peek();
    if (after && after.indent > indent) this.fail("multi-line plain scalars are not supported");
    return value;
  }

  private sequence(indent: number): Yaml[] {
    const items: Yaml[] = [];
    for (let next = this.peek(); next && next.indent === indent; next = this.peek()) {
      if (!(next.text === "-" || next.text.startsWith("- "))) break;
      const rest = next.text.slice(1).trimStart();
      if (rest === "") {
        this.i++;
        items.push(this.childOrNull(indent));
        continue;
      }
      // The item's content becomes a line of its own at the column where it starts, so a
      // mapping that begins on the dash line continues naturally on the lines below.
      const column = indent + next.text.length - rest.length;
      this.lines[this.i] = " ".repeat(column) + rest;
      items.push(this.node(column));
    }
    this.expectDedent(indent);
    return items;
  }

  private mapping(indent: number): { [key: string]: Yaml } {
    const map: { [key: string]: Yaml } = {};
    // Merged keys yield to the mapping's own keys, wherever the merge sits.
    const own = new Set<string>();
    for (let next = this.peek(); next && next.indent === indent; next = this.peek()) {
      const match = keyLine.exec(next.text);
      if (!match) this.fail(`expected "key: value", got ${JSON.stringify(next.text)}`);
      const key = String(this.scalar(match[1]!));
      let rest = match[2]?.trim() ?? "";
      this.i++;
      let anchor: string | undefined;
      const anchored = /^&([\w-]+)(?:\s+(.*))?$/.exec(rest);
      if (anchored) {
        anchor = anchored[1];
        rest = anchored[2] ?? "";
      }
      let value: Yaml;
      if (rest === "") {
        const child = this.peek();
        value =
          child && child.indent === indent && (child.text === "-" || child.text.startsWith("- "))
            ? this.sequence(indent)
            : this.childOrNull(indent);
      } else if (rest === "|" || rest === "|-") {
        value = this.literal(indent, rest === "|-");
      } else {
        value = this.inline(rest);
      }
      if (anchor) this.anchors.set(anchor, value);
      if (key === "<<") {
        if (typeof value !== "object" || value === null || Array.isArray(value))
          this.fail("a merge key needs a mapping");
        for (const [k, v] of Object.entries(value)) if (!own.has(k)) map[k] = v;
        continue;
      }
      if (own.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      own.add(key);
      map[key] = value;
    }
    this.expectDedent(indent);
    return map;
  }

  private childOrNull(indent: number): Yaml {
    const child = this.peek();
    return child && child.indent > indent ? this.node(child.indent) : null;
  }

  private expectDedent(indent: number): void {
    const next = this.peek();
    if (next && next.indent > indent) this.fail("unexpected indentation");
  }

  /** `|` keeps one final newline, `|-` none; the block is every following line indented deeper. */
  private literal(parentIndent: number, strip: boolean): string {
    const body: string[] = [];
    let blockIndent = -1;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== "") {
        if (indent <= parentIndent) break;
        if (blockIndent < 0) blockIndent = indent;
        if (indent < blockIndent) this.fail("literal block line is indented less than its first line");
      }
      body.push(line.trim() === "" ? "" : line.slice(blockIndent));
      this.i++;
    }
    while (body.length > 0 && body[body.length - 1] === "") body.pop();
    const text = body.join("\n");
    return strip || text === "" ? text : `${text}\n`;
  }

  private inline(text: string): Yaml {
    if (text.startsWith("*")) {
      const name = text.slice(1);
      if (!this.anchors.has(name)) this.fail(`unknown alias *${name}`);
      return this.anchors.get(name)!;
    }
    if (text.startsWith("[") || text.startsWith("{")) {
      const flow = new FlowReader(text, (m) => this.fail(m));
      const value = flow.value();
      flow.end();
      return value;
    }
    if (/^[!&>|%@`]/.test(text)) this.fail(`unsupported YAML construct: ${text}`);
    return this.scalar(text);
  }

  scalar(text: string): Yaml {
    return readScalar(text, (m) => this.fail(m));
  }
}

function readScalar(text: string, fail: (message: string) => never): Yaml {
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) fail(`bad double-quoted scalar ${text}`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) fail(`bad single-quoted scalar ${text}`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text === "" || text === "~" || text === "null") return null;
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Drops a ` #` comment that is outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(text[i - 1]!)) quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

class FlowReader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly fail: (message: string) => never,
  ) {}

  value(): Yaml {
    this.space();
    const c = this.text[this.at];
    if (c === "[") return this.list();
    if (c === "{") return this.map();
    return this.scalar();
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) this.fail(`trailing text in flow collection: ${this.text}`);
  }

  private list(): Yaml[] {
    this.at++;
    const items: Yaml[] = [];
    while (this.more() && this.text[this.at] !== "]") {
      items.push(this.value());
      this.separator("]");
    }
    this.at++;
    return items;
  }

  private map(): { [key: string]: Yaml } {
    this.at++;
    const map: { [key: string]: Yaml } = {};
    while (this.more() && this.text[this.at] !== "}") {
      const key = String(this.scalar(":"));
      if (this.text[this.at] !== ":") this.fail(`expected ":" in flow mapping: ${this.text}`);
      this.at++;
      map[key] = this.value();
      this.separator("}");
    }
    this.at++;
    return map;
  }

  private separator(close: string): void {
    this.space();
    if (this.text[this.at] === ",") this.at++;
    else if (this.text[this.at] !== close) this.fail(`expected "," or "${close}": ${this.text}`);
  }

  private scalar(stopAlso = ""): Yaml {
    const start = this.at;
    const q = this.text[start];
    if (q === '"' || q === "'") {
      const re = q === '"' ? /"(?:[^"\\]|\\.)*"/y : /'(?:[^']|'')*'/y;
      re.lastIndex = start;
      const m = re.exec(this.text);
      if (!m) this.fail(`unterminated quoted scalar: ${this.text}`);
      this.at = start + m[0].length;
      return readScalar(m[0], this.fail);
    }
    while (this.at < this.text.length && !`,]}${stopAlso}`.includes(this.text[this.at]!)) this.at++;
    return readScalar(this.text.slice(start, this.at).trim(), this.fail);
  }

  private space(): void {
    while (/\s/.test(this.text[this.at] ?? "")) this.at++;
  }

  private more(): boolean {
    this.space();
    if (this.at >= this.text.length) this.fail(`unterminated flow collection: ${this.text}`);
    return true;
  }
}
