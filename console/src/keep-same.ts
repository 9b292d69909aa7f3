/**
 * Keeps the previous object for every item that did not change between two answers, so the
 * table rows of unchanged items skip re-rendering after a refresh.
 *
 * @module
 */

const cache = new WeakMap<object, string>();

function fingerprint(item: object): string {
  let text = cache.get(item);
  if (text === undefined) cache.set(item, (text = JSON.stringify(item)));
  return text;
}

/** `next` with each item replaced by its equal (same `key`, same JSON) from `previous`, where there is one. */
export function keepSame<T extends object>(previous: T[] | undefined, next: T[], key: (item: T) => string): T[] {
  if (!previous) return next;
  const old = new Map(previous.map((item) => [key(item), item]));
  return next.map((item) => {
    const before = old.get(key(item));
    return before && fingerprint(before) === fingerprint(item) ? before : item;
  });
}
