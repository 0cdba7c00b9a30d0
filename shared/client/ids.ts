/**
 * A frame id or idempotency key unique across processes and reconnects (1–64 characters of
 * `[A-Za-z0-9-]`, docs/protocol.md "WebSocket"): a prefix and 64 random bits.
 */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
