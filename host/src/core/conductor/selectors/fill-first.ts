/**
 * The `fill-first` strategy: use one credential until it is unavailable, then the next.
 *
 * @module
 */

import type { SelectionCandidate, Selector } from '../types.js';

/**
 * Always picks the first candidate. Candidates arrive in stable config order with unavailable
 * credentials already filtered out by the caller, so "first" is the first usable credential:
 * traffic drains one quota before touching the next, and moves back as soon as the earlier
 * credential recovers. Stateless, so `key` is irrelevant.
 */
export class FillFirstSelector implements Selector {
  readonly strategy = 'fill-first' as const;

  /** Returns `candidates[0]`. */
  pick(_key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    return candidates[0];
  }

  peek(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    return this.pick(key, candidates);
  }
}
