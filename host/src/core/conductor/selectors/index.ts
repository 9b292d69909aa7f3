/**
 * The credential selectors, one per routing strategy, and the priority-tier filter applied
 * before them.
 *
 * @module
 */

import type { SelectionCandidate, Selector, Strategy } from '../types.js';
import { FillFirstSelector } from './fill-first.js';
import { HeadroomSelector, type ShareOf } from './headroom.js';
import { RoundRobinSelector } from './round-robin.js';
import { WeightedSelector } from './weighted.js';

/**
 * The selector for `strategy`. `cursor` returns the current round-robin cursor for a key and
 * advances it, `current` returns it unchanged; only `round-robin` uses it (weighted credits are not worth persisting: losing
 * them only restarts the interleaving). `share` is what `headroom` chooses by.
 */
export function createSelector(strategy: Strategy, cursor: (key: string) => number, current: (key: string) => number = () => 0, share: ShareOf = () => 1): Selector {
  switch (strategy) {
    case 'round-robin':
      return new RoundRobinSelector(cursor, current);
    case 'fill-first':
      return new FillFirstSelector();
    case 'weighted':
      return new WeightedSelector();
    case 'headroom':
      return new HeadroomSelector(share);
  }
}

/**
 * The candidates of the highest priority present, in their original order; empty for no
 * candidates. Selectors are given one tier at a time, so a lower tier is only reached once every
 * credential of the higher tiers has been filtered out as unavailable.
 */
export function topTier(candidates: readonly SelectionCandidate[]): SelectionCandidate[] {
  let top = -Infinity;
  for (const c of candidates) if (c.priority > top) top = c.priority;
  return candidates.filter((c) => c.priority === top);
}
