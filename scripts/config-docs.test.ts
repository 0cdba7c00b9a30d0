import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { configSchema, envName } from "../shared/config.js";
import { withConfigTable } from "./config-docs.js";

test("the README documents every configuration variable, exactly as the schema defines it", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.equal(
    withConfigTable(readme),
    readme,
    "run `npx tsx scripts/config-docs.ts` to regenerate the table",
  );
  for (const key of Object.keys(configSchema.properties))
    assert.match(readme, new RegExp(`\\| \`${envName(key)}\` \\|`));
});
