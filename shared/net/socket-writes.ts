import type { Socket } from "node:net";

/**
 * For tests: counts the writes `socket` hands to the kernel from now on (each `_write` or
 * `_writev` is one syscall), which is what batching writes is meant to reduce.
 */
export function countSocketWrites(socket: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const internals = socket as unknown as Record<"_write" | "_writev", (...args: unknown[]) => void>;
  for (const method of ["_write", "_writev"] as const) {
    const original = internals[method];
    internals[method] = function (this: unknown, ...args: unknown[]) {
      counter.count += 1;
      return original.apply(this, args);
    };
  }
  return counter;
}
