/**
 * A Prometheus histogram for the request path. prom-client's own re-validates and re-hashes the
 * labels of even a bound child on every observation (about 1 µs warm, several under load); here
 * a child is made once per label set and an observation is a bucket search and three additions.
 * prom-client's registry still renders it, so `/metrics` reads the same.
 *
 * @module
 */
import type { MetricValueWithName, Registry } from 'prom-client';
import { type MetricChild, RegisteredMetric } from './registered.js';

/** The series of one label set. */
export class HistogramChild implements MetricChild {
  /** Observations per bucket, not cumulative (rendering sums them). */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.#counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    // Beyond the last bound only +Inf counts it, and +Inf is the total count.
    if (i < bounds.length) this.#counts[i]! += 1;
    this.#sum += value;
    this.#count += 1;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  /** The `_bucket` (cumulative, `le`), `_sum` and `_count` values of this label set. */
  values(name: string): MetricValueWithName<string>[] {
    const out: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.#counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { le, ...this.labels }, value: cumulative });
    });
    out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...this.labels }, value: this.#count });
    out.push({ metricName: `${name}_sum`, labels: this.labels, value: this.#sum });
    out.push({ metricName: `${name}_count`, labels: this.labels, value: this.#count });
    return out;
  }
}

/** A histogram registered with (and rendered by) a prom-client registry. */
export class FastHistogram extends RegisteredMetric<HistogramChild> {
  readonly type = 'histogram';

  /**
   * @param name - the series name (`_bucket`, `_sum` and `_count` are appended)
   * @param help - its HELP text
   * @param buckets - upper bounds, ascending (+Inf is implied)
   * @param registry - where it is rendered
   */
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, registry);
  }

  /** A new child for one label set; cache it (a second call makes a second series). */
  child(labels: Readonly<Record<string, string>> = {}): HistogramChild {
    return this.adopt(new HistogramChild(this.buckets, labels));
  }
}
