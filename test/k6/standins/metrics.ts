import { runtime } from "./runtime.js";

/** `k6/metrics`: each metric keeps its samples for the test (runtime.metrics). */
class Metric {
  readonly name: string;
  constructor(name: string, kind: string) {
    this.name = name;
    if (!runtime.metrics.has(name)) runtime.metrics.set(name, { kind, samples: [] });
  }

  add(value: number | boolean, tags: Record<string, string> = {}): void {
    if (typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(`${this.name}.add: ${String(value)} is not a number or boolean`);
    }
    runtime.metrics.get(this.name)!.samples.push({ value: Number(value), tags });
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(name, "counter");
  }
}
export class Gauge extends Metric {
  constructor(name: string) {
    super(name, "gauge");
  }
}
export class Rate extends Metric {
  constructor(name: string) {
    super(name, "rate");
  }
}
export class Trend extends Metric {
  constructor(name: string, _isTime?: boolean) {
    super(name, "trend");
  }
}
