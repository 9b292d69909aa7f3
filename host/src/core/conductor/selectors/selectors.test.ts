import { describe, expect, it } from 'vitest';
import type { SelectionCandidate, Selector, Strategy } from '../types.js';
import { FillFirstSelector } from './fill-first.js';
import { createSelector, topTier } from './index.js';
import { RoundRobinSelector } from './round-robin.js';
import { HeadroomSelector } from './headroom.js';
import { WeightedSelector } from './weighted.js';

function candidate(id: string, weight = 1, priority = 0): SelectionCandidate {
  return { id, provider: 'p', priority, weight };
}

/** A cursor like the state store's: per key, starting at 0, advancing on every `next`. */
function memoryCursor(): { next: (key: string) => number; current: (key: string) => number } {
  const cursors = new Map<string, number>();
  return {
    next: (key) => {
      const value = cursors.get(key) ?? 0;
      cursors.set(key, value + 1);
      return value;
    },
    current: (key) => cursors.get(key) ?? 0,
  };
}

function roundRobin(): RoundRobinSelector {
  const cursor = memoryCursor();
  return new RoundRobinSelector(cursor.next, cursor.current);
}

function ids(selector: Selector, key: string, candidates: readonly SelectionCandidate[], picks: number): string[] {
  return Array.from({ length: picks }, () => selector.pick(key, candidates).id);
}

const abc = [candidate('a'), candidate('b'), candidate('c')];

const contracts: { strategy: Strategy; make: () => Selector; spreads: boolean }[] = [
  { strategy: 'round-robin', make: () => roundRobin(), spreads: true },
  { strategy: 'fill-first', make: () => new FillFirstSelector(), spreads: false },
  { strategy: 'weighted', make: () => new WeightedSelector(), spreads: true },
  // Nothing known of any credential: every share is full, so it keeps to the first like fill-first.
  { strategy: 'headroom', make: () => new HeadroomSelector(() => 1), spreads: false },
];

describe.each(contracts)('selector contract: $strategy', ({ strategy, make, spreads }) => {
  it('names its strategy', () => {
    expect(make().strategy).toBe(strategy);
  });

  it('picks only from the given candidates', () => {
    const selector = make();
    const lists = [abc, abc.slice(1), [abc[2], abc[0]], abc.slice(0, 1)];
    for (let i = 0; i < 40; i++) {
      const list = lists[i % lists.length];
      expect(list).toContain(selector.pick('k', list));
    }
  });

  it('is deterministic for the same state', () => {
    expect(ids(make(), 'k', abc, 20)).toEqual(ids(make(), 'k', abc, 20));
  });

  it('works with one candidate', () => {
    expect(ids(make(), 'k', [abc[1]], 5)).toEqual(['b', 'b', 'b', 'b', 'b']);
  });

  it(spreads ? 'spreads picks evenly over equal candidates' : 'does not spread picks', () => {
    const counts = new Map<string, number>();
    for (const id of ids(make(), 'k', abc, 30)) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual(spreads ? { a: 10, b: 10, c: 10 } : { a: 30 });
  });

  it('peeks at what the next pick answers, changing nothing', () => {
    const selector = make();
    const twin = make();
    const lists = [abc, abc.slice(1), abc];
    for (let i = 0; i < 12; i++) {
      const list = lists[i % lists.length]!;
      const peeked = selector.peek('k', list);
      expect(selector.peek('k', list)).toBe(peeked);
      expect(selector.pick('k', list)).toBe(peeked);
      // Peeking changed nothing: a twin that never peeked picks the same.
      expect(twin.pick('k', list)).toBe(peeked);
    }
  });

  it('keeps keys independent', () => {
    const alone = make();
    const interleaved = make();
    const expected = ids(alone, 'y', abc, 6);
    const actual: string[] = [];
    for (let i = 0; i < 6; i++) {
      interleaved.pick('x', abc);
      interleaved.pick('x', abc.slice(1));
      actual.push(interleaved.pick('y', abc).id);
    }
    expect(actual).toEqual(expected);
  });
});

describe('createSelector', () => {
  it.each(['round-robin', 'fill-first', 'weighted'] as const)('builds the %s selector', (strategy) => {
    expect(createSelector(strategy, memoryCursor().next).strategy).toBe(strategy);
  });

  it('hands the cursor to round-robin', () => {
    const keys: string[] = [];
    const selector = createSelector('round-robin', (key) => (keys.push(key), 7));
    expect(selector.pick('pool/model', abc).id).toBe('b');
    expect(keys).toEqual(['pool/model']);
  });
});

describe('RoundRobinSelector', () => {
  it('cycles A, B, C, A, ...', () => {
    expect(ids(roundRobin(), 'k', abc, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('keeps rotating when the candidate set shrinks', () => {
    const selector = roundRobin();
    expect(ids(selector, 'k', abc, 2)).toEqual(['a', 'b']);
    expect(ids(selector, 'k', [abc[0], abc[2]], 3)).toEqual(['a', 'c', 'a']);
  });
});

describe('FillFirstSelector', () => {
  it('sticks to the first candidate and moves on only when it is gone', () => {
    const selector = new FillFirstSelector();
    expect(ids(selector, 'k', abc, 3)).toEqual(['a', 'a', 'a']);
    expect(ids(selector, 'k', abc.slice(1), 2)).toEqual(['b', 'b']);
    expect(selector.pick('k', abc).id).toBe('a');
  });
});

describe('WeightedSelector', () => {
  const weighted = [candidate('a', 5), candidate('b', 1), candidate('c', 1)];

  it("gives nginx's documented order for weights 5, 1, 1", () => {
    expect(ids(new WeightedSelector(), 'k', weighted, 14)).toEqual([
      ...['a', 'a', 'b', 'a', 'c', 'a', 'a'],
      ...['a', 'a', 'b', 'a', 'c', 'a', 'a'],
    ]);
  });

  it('keeps exact 5:1:1 proportions over 700 picks', () => {
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const id of ids(new WeightedSelector(), 'k', weighted, 700)) counts[id]++;
    expect(counts).toEqual({ a: 500, b: 100, c: 100 });
  });

  it('resets the credits when the weights change', () => {
    const selector = new WeightedSelector();
    expect(ids(selector, 'k', weighted, 3)).toEqual(['a', 'a', 'b']);
    // Kept credits (a 1, b -4, c 3) would make c win first; fresh ones start with a.
    expect(ids(selector, 'k', [candidate('a'), candidate('b'), candidate('c')], 3)).toEqual(['a', 'b', 'c']);
    expect(ids(selector, 'k', weighted, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('resets the credits when the candidate set changes, so a recovered credential gets no burst', () => {
    const selector = new WeightedSelector();
    const set = [candidate('a', 1), candidate('b', 3)];
    expect(ids(selector, 'k', set, 2)).toEqual(['b', 'a']);
    expect(ids(selector, 'k', set.slice(0, 1), 5)).toEqual(['a', 'a', 'a', 'a', 'a']);
    expect(ids(selector, 'k', set, 4)).toEqual(ids(new WeightedSelector(), 'k', set, 4));
  });

  it('skips zero, negative and non-finite weights', () => {
    const set = [candidate('a', 0), candidate('b', 2), candidate('c', -1), candidate('d', Infinity), candidate('e', NaN)];
    expect(ids(new WeightedSelector(), 'k', set, 4)).toEqual(['b', 'b', 'b', 'b']);
  });

  it('treats all non-positive weights as equal', () => {
    const set = [candidate('a', 0), candidate('b', -2), candidate('c', 0)];
    expect(ids(new WeightedSelector(), 'k', set, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('clears its table when it would hold more keys than allowed', () => {
    const selector = new WeightedSelector(2);
    expect(ids(selector, 'x', weighted, 2)).toEqual(['a', 'a']);
    selector.pick('y', weighted);
    expect(selector.pick('x', weighted).id).toBe('b'); // still two keys: x continues
    selector.pick('z', weighted); // a third key clears x and y
    expect(selector.pick('x', weighted).id).toBe('a');
  });
});

describe('HeadroomSelector', () => {
  it('picks the candidate with the largest share left, the first of equals', () => {
    const shares: Record<string, number> = { a: 0.2, b: 0.9, c: 0.9 };
    const selector = new HeadroomSelector((c) => shares[c.id]!);
    expect(selector.pick('k', abc).id).toBe('b');
    shares.b = 0.1;
    expect(selector.peek('k', abc).id).toBe('c');
  });
});

describe('topTier', () => {
  it('keeps only the highest priority, in order', () => {
    const list = [candidate('a', 1, 0), candidate('b', 1, 2), candidate('c', 1, 1), candidate('d', 1, 2)];
    expect(topTier(list).map((c) => c.id)).toEqual(['b', 'd']);
  });

  it('handles negative priorities and no candidates', () => {
    expect(topTier([candidate('a', 1, -3), candidate('b', 1, -1)]).map((c) => c.id)).toEqual(['b']);
    expect(topTier([])).toEqual([]);
  });
});
