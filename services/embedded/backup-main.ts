import { renameSync, writeFileSync } from "node:fs";
import { loadConfigOrExit } from "../../shared/config.js";

/**
 * `npm run backup -- <file>`: asks the running platform (`npm start`, same METRICS_HOST and
 * METRICS_PORT) for a consistent copy of its database (`POST /backup`) and writes it to `file`,
 * whole or not at all (written beside it, then renamed). Restore with `npm run restore`.
 */
const file = process.argv[2];
if (file === undefined) {
  console.error("usage: npm run backup -- <file.tar.gz>");
  process.exit(2);
}
const config = loadConfigOrExit();
const response = await fetch(`http://${config.metricsHost}:${config.metricsPort}/backup`, { method: "POST" });
if (!response.ok) {
  console.error(`backup refused: ${response.status} ${await response.text()}`);
  process.exit(1);
}
const tarball = Buffer.from(await response.arrayBuffer());
writeFileSync(`${file}.partial`, tarball);
renameSync(`${file}.partial`, file);
console.log(JSON.stringify({ backup: file, bytes: tarball.length }));
