/**
 * Values kept by a tuple of keys (a metric's children by label values, usage rows by client,
 * model, provider and credential) in nested maps. Joining the keys into one string would build,
 * flatten and hash that string on every lookup: here a tuple seen before costs a few map
 * lookups of strings whose hashes are already known, and nothing else.
 *
 * @module
 */

/** One key of a tuple: numbers (HTTP statuses) are kept as numbers, so no string is built for them. */
export type TupleKey = string | number;

type Level = Map<TupleKey, unknown>;

/** Values by tuples of `depth` keys, each created once, when its tuple is first met. */
export class TupleCache<C> {
  readonly #root: Level = new Map();

  /**
   * @param depth - how many keys a tuple has (1 to 4)
   * @param make - creates the value for a tuple met for the first time
   */
  constructor(
    private readonly depth: 1 | 2 | 3 | 4,
    private readonly make: (keys: TupleKey[]) => C,
  ) {}

  /** The value for this tuple (pass exactly `depth` keys). */
  get(a: TupleKey, b: TupleKey = '', c: TupleKey = '', d: TupleKey = ''): C {
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
