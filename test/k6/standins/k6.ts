import { runtime } from "./runtime.js";

/** `k6`: checks are recorded for the test; `sleep` does not block (the scripts pace with timers). */
export function check<T>(value: T, sets: Record<string, (value: T) => boolean>, _tags?: object): boolean {
  let all = true;
  for (const [name, test] of Object.entries(sets)) {
    const ok = test(value) === true;
    runtime.checks.push({ name, ok });
    all &&= ok;
  }
  return all;
}

export function fail(message?: string): never {
  throw new Error(message ?? "fail()");
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function sleep(_seconds: number): void {}

export default { check, fail, group, sleep };
