/**
 * What the request path's fast metrics share: children made once per label set and updated
 * directly, in a metric that a prom-client registry holds and renders like its own (it only
 * calls `get()` and `reset()` on what it holds).
 *
 * @module
 */
import type { Metric, MetricValueWithName, Registry } from 'prom-client';

/** The series of one label set. */
export interface MetricChild {
  /** Its values as the registry renders them, under the metric's `name`. */
  values(name: string): MetricValueWithName<string>[];
  /** Zeroes it (a registry reset; callers keep the child). */
  reset(): void;
}

export abstract class RegisteredMetric<C extends MetricChild> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  readonly #children: C[] = [];

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
    registry.registerMetric(this as unknown as Metric);
  }

  /** Adds a child for one label set; cache it (a second child of the same labels makes a second series). */
  protected adopt(child: C): C {
    this.#children.push(child);
    return child;
  }

  /** What the registry renders: every child's series. */
  async get(): Promise<{ name: string; help: string; type: 'counter' | 'histogram'; aggregator: 'sum'; values: MetricValueWithName<string>[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.#children.flatMap((c) => c.values(this.name)) };
  }

  /** Zeroes every series (children stay valid: callers cache them). */
  reset(): void {
    for (const child of this.#children) child.reset();
  }
}
