import { ConsumerTooSlowError } from "./errors.js";

/**
 * The buffer between the socket and one consumer's `for await`: at most `capacity` items wait.
 * Past that the queue fails with `ConsumerTooSlowError` (after handing over what it holds), so a
 * consumer that falls behind learns it instead of the process growing without bound.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void } | undefined;
  #ended = false;
  #error: Error | undefined;

  constructor(
    readonly capacity: number,
    /** Called once when the consumer stops early (`break`, `return`) or the queue fails. */
    private readonly onStop: () => void,
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  /** Queues one item; false when the queue has ended (or just failed for being full). */
  push(item: T): boolean {
    if (this.#ended) return false;
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.#items.length >= this.capacity) {
      this.end(new ConsumerTooSlowError(this.capacity));
      this.onStop();
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /** No more items: the consumer reads what is queued, then the end (or `error`). */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended) {
      const error = this.#error;
      this.#error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    if (!this.#ended) {
      this.end();
      this.onStop();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
