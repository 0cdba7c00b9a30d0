import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";

export interface RuntimeFiles {
  /** Repository-relative paths of every module the entry points load, entry points included. */
  files: Set<string>;
  /** npm packages those modules import (type-only imports excluded: they vanish at runtime). */
  packages: Set<string>;
  /** Relative imports that name no file, as `importer -> specifier`. */
  missing: string[];
}

const importPattern =
  /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/**
 * Follows the static and literal dynamic imports of `entries` (repository-relative `.ts` paths)
 * through the repository, the way tsx resolves them under NodeNext (`./x.js` is `./x.ts`).
 */
export function runtimeFiles(root: string, entries: string[]): RuntimeFiles {
  const result: RuntimeFiles = { files: new Set(), packages: new Set(), missing: [] };
  const queue = [...entries];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (result.files.has(path)) continue;
    result.files.add(path);
    if (!/\.[cm]?[jt]s$/.test(path)) continue;
    const source = readFileSync(join(root, path), "utf8");
    for (const match of source.matchAll(importPattern)) {
      if (match[1]) continue;
      const specifier = (match[2] ?? match[3])!;
      if (specifier.startsWith(".")) {
        const resolved = resolveLocal(root, path, specifier);
        if (resolved) queue.push(resolved);
        else result.missing.push(`${path} -> ${specifier}`);
      } else if (!specifier.startsWith("node:") && !builtinModules.includes(specifier.split("/")[0]!)) {
        const parts = specifier.split("/");
        result.packages.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
      }
    }
  }
  return result;
}

function resolveLocal(root: string, importer: string, specifier: string): string | undefined {
  const target = join(dirname(join(root, importer)), specifier);
  const candidates = [target.replace(/\.js$/, ".ts"), target, join(target, "index.ts")];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return found && relative(root, found);
}
