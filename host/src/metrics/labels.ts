/**
 * Cached metric children. prom-client's `labels(...)` hashes the label values into a string on
 * every call; on the request path that is an allocation per observation. A {@link LabelCache}
 * walks nested maps instead, so a label set seen before costs a few map lookups and nothing else.
 *
 * @module
 */

/** A label value: numbers (HTTP statuses) are kept as numbers, so no string is built for them. */
export type LabelValue = string | number;

type Level = Map<LabelValue, unknown>;

/** The children of one labelled metric, by label values, created once per label set. */
export class LabelCache<C> {
  readonly #root: Level = new Map();

  /**
   * @param depth - how many labels the metric has (1 to 4)
   * @param make - creates the child for a label set met for the first time
   */
  constructor(
    private readonly depth: 1 | 2 | 3 | 4,
    private readonly make: (values: LabelValue[]) => C,
  ) {}

  /** The child for these label values (pass exactly `depth` of them). */
  get(a: LabelValue, b: LabelValue = '', c: LabelValue = '', d: LabelValue = ''): C {
    let level = this.#root;
    for (let i = 1; i < this.depth; i++) {
      const key = i === 1 ? a : i === 2 ? b : c;
      let next = level.get(key) as Level | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    const key = this.depth === 1 ? a : this.depth === 2 ? b : this.depth === 3 ? c : d;
    let child = level.get(key) as C | undefined;
    if (child === undefined) {
      child = this.make([a, b, c, d].slice(0, this.depth));
      level.set(key, child);
    }
    return child;
  }
}
