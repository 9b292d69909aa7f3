/**
 * A Prometheus counter for the request path, for the reason {@link FastHistogram} exists:
 * prom-client's own hashes and validates the labels of even a bound child on every increment.
 * Here a child is made once per label set and an increment is one addition; prom-client's
 * registry still renders it, so `/metrics` reads the same.
 *
 * @module
 */
import type { Metric, MetricValue, Registry } from 'prom-client';

/** The series of one label set. */
export class CounterChild {
  value = 0;

  constructor(readonly labels: Readonly<Record<string, string | number>>) {}

  inc(): void {
    this.value += 1;
  }
}

/** A counter registered with (and rendered by) a prom-client registry. */
export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #children: CounterChild[] = [];

  /**
   * @param name - the series name
   * @param help - its HELP text
   * @param registry - where it is rendered
   */
  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // The registry only calls get() and reset() on what it holds: this is a Metric to it.
    registry.registerMetric(this as unknown as Metric);
  }

  /** A new child for one label set; cache it (a second call makes a second series). */
  child(labels: Readonly<Record<string, string | number>>): CounterChild {
    const child = new CounterChild(labels);
    this.#children.push(child);
    return child;
  }

  /** What the registry renders: every child's series. */
  async get(): Promise<{ name: string; help: string; type: 'counter'; aggregator: 'sum'; values: MetricValue<string>[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.#children.map((c) => ({ value: c.value, labels: c.labels })) };
  }

  /** Zeroes every series (children stay valid: callers cache them). */
  reset(): void {
    for (const child of this.#children) child.value = 0;
  }
}
