import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * Import circles in the tree (docs/architecture.md "Layers"): every group of files that import
 * each other, directly or round about, counting type-only imports too (a circle of types is
 * still two files that cannot be read one without the other). Reads the import lines only, so it
 * runs in a second over the whole tree.
 *
 *   npx tsx scripts/import-circles.ts        (prints each circle; exits 1 when there is one)
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const roots = ["services", "shared", "test", "loadtest", "scripts"];

/** Every TypeScript source file under `dirs` (relative to `base`), tests included. */
export function sourceFiles(base: string, dirs: readonly string[] = roots): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === "node_modules") continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(relative(base, path));
    }
  };
  for (const dir of dirs) walk(join(base, dir));
  return out.sort();
}

/** file → the files of `files` it imports (relative specifiers; `.js` names their `.ts` source). */
export function importGraph(base: string, files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(base, file), "utf8"), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => relative(base, resolve(base, dirname(file), name)).replace(/\.js$/, ".ts"))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The circles of `graph`: its strongly connected components of two files or more (Tarjan). */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const circles = importCircles(importGraph(root, sourceFiles(root)));
  for (const circle of circles) console.log(`${circle.length} files: ${circle.join(" ")}`);
  console.log(circles.length === 0 ? "no import circle" : `${circles.length} import circles`);
  process.exitCode = circles.length === 0 ? 0 : 1;
}
