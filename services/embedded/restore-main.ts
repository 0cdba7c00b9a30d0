import { loadConfigOrExit } from "../../shared/config.js";
import { restoreEmbeddedBackup } from "./restore.js";

/**
 * `npm run restore -- <backup.tar.gz>`: the backup becomes the database of DATA_DIR (which must
 * not hold one), and the books are audited; exit 0 when they balance. Then `npm start` with the
 * same DATA_DIR serves from it.
 */
const file = process.argv[2];
if (file === undefined) {
  console.error("usage: npm run restore -- <backup.tar.gz>   (into DATA_DIR)");
  process.exit(2);
}
const { dataDir } = loadConfigOrExit();
let books: Awaited<ReturnType<typeof restoreEmbeddedBackup>>;
try {
  books = await restoreEmbeddedBackup(file, dataDir);
} catch (err) {
  console.error(`restore refused: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const balanced =
  books.ledgerSumCents === 0 &&
  books.accountsOffLedger === 0 &&
  books.negativeBalances === 0 &&
  books.underfundedMarkets.length === 0 &&
  books.positionsOffTrades === 0;
console.log(JSON.stringify({ restored: file, dataDir, books, balanced }));
process.exit(balanced ? 0 : 1);
