// Node module hooks for test/k6: a k6 script's `k6…` imports resolve to the stand-ins beside
// this file, so the script runs unchanged in Node. A k6 module without a stand-in fails the
// import, naming it, rather than running the script without it.
const standins = {
  k6: "k6.ts",
  "k6/http": "http.ts",
  "k6/metrics": "metrics.ts",
  "k6/timers": "timers.ts",
  "k6/websockets": "websockets.ts",
};

export async function resolve(specifier, context, next) {
  if (specifier === "k6" || specifier.startsWith("k6/")) {
    const file = standins[specifier];
    if (file === undefined) throw new Error(`test/k6 has no stand-in for the k6 module "${specifier}"`);
    // Resolved on by the next hook (tsx), which then loads the stand-in as TypeScript.
    return next(new URL(`./standins/${file}`, import.meta.url).href, context);
  }
  return next(specifier, context);
}
