/**
 * The `round-robin` strategy: every request of a key goes to the next credential in turn.
 *
 * @module
 */

import type { SelectionCandidate, Selector } from '../types.js';

/** Cycles through the candidates, one step per pick, with the cursor kept per key by the caller. */
export class RoundRobinSelector implements Selector {
  readonly strategy = 'round-robin' as const;

  /**
   * @param cursor Returns the current cursor (a non-negative integer) for `key` and advances it.
   *   The conductor backs it with its state store, so the rotation survives reloads and can be
   *   shared by several gateway processes; the selector itself holds no state.
   */
  constructor(
    private readonly cursor: (key: string) => number,
    /** The cursor for `key` without advancing it. */
    private readonly current: (key: string) => number,
  ) {}

  /**
   * Picks `candidates[cursor % length]`. Taking the modulus at pick time (rather than wrapping
   * the stored cursor) keeps the rotation going when the candidate set shrinks or grows, as it
   * does whenever a credential cools down or recovers.
   */
  pick(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    return candidates[this.cursor(key) % candidates.length];
  }

  peek(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    return candidates[this.current(key) % candidates.length];
  }
}
