import { createPgliteStore } from "./pglite-store.js";
import { storeContract } from "./store.contract.js";

storeContract("PGlite", async () => {
  const store = createPgliteStore("memory");
  return { store, dispose: () => store.close() };
});
