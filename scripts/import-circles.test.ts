import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { importCircles, importGraph, sourceFiles } from "./import-circles.js";

test('no file of the tree imports itself round about (docs/architecture.md "Layers")', () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const files = sourceFiles(root);
  assert.ok(files.length > 500, "the whole tree is read");
  assert.deepEqual(importCircles(importGraph(root, files)), [], "run `npx tsx scripts/import-circles.ts`");
});

test("a circle is found however long it is, and a chain or a diamond is not one", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts", "d.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["e.ts"]],
    ["e.ts", []],
    ["f.ts", ["d.ts", "e.ts"]],
  ]);
  assert.deepEqual(importCircles(graph), [["a.ts", "b.ts", "c.ts"]]);
});
