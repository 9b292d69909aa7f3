/**
 * A Prometheus counter for the request path, for the reason {@link FastHistogram} exists:
 * prom-client's own hashes and validates the labels of even a bound child on every increment.
 * Here a child is made once per label set and an increment is one addition; prom-client's
 * registry still renders it, so `/metrics` reads the same.
 *
 * @module
 */
import type { MetricValueWithName } from 'prom-client';
import { type MetricChild, RegisteredMetric } from './registered.js';

/** The series of one label set. */
export class CounterChild implements MetricChild {
  #value = 0;

  constructor(readonly labels: Readonly<Record<string, string | number>>) {}

  inc(): void {
    this.#value += 1;
  }

  values(name: string): MetricValueWithName<string>[] {
    return [{ metricName: name, labels: this.labels, value: this.#value }];
  }

  reset(): void {
    this.#value = 0;
  }
}

/** A counter registered with (and rendered by) a prom-client registry. */
export class FastCounter extends RegisteredMetric<CounterChild> {
  readonly type = 'counter';

  /** A new child for one label set; cache it (a second call makes a second series). */
  child(labels: Readonly<Record<string, string | number>>): CounterChild {
    return this.adopt(new CounterChild(labels));
  }
}
