import { hold, runtime } from "./runtime.js";

/** `k6/timers` on Node's timers; a pending timer holds the iteration open, as in k6. */
type Handler = (...args: unknown[]) => void;
const timers = new Map<number, { timer: NodeJS.Timeout; release: () => void }>();
let nextId = 1;

export function setTimeout(fn: Handler, delay: number, ...args: unknown[]): number {
  const id = nextId++;
  const release = hold();
  const timer = globalThis.setTimeout(() => {
    timers.delete(id);
    try {
      fn(...args);
    } catch (err) {
      runtime.errors.push(err);
    } finally {
      release();
    }
  }, delay);
  timers.set(id, { timer, release });
  return id;
}

export function clearTimeout(id: number): void {
  const entry = timers.get(id);
  if (entry === undefined) return;
  timers.delete(id);
  globalThis.clearTimeout(entry.timer);
  entry.release();
}

export function setInterval(fn: Handler, delay: number, ...args: unknown[]): number {
  const id = nextId++;
  const release = hold();
  const timer = globalThis.setInterval(() => {
    try {
      fn(...args);
    } catch (err) {
      runtime.errors.push(err);
    }
  }, delay);
  timers.set(id, { timer, release });
  return id;
}

export function clearInterval(id: number): void {
  const entry = timers.get(id);
  if (entry === undefined) return;
  timers.delete(id);
  globalThis.clearInterval(entry.timer);
  entry.release();
}
