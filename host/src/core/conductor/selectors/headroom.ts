/**
 * The `headroom` strategy: the credential whose tightest limit has the largest share left, as its
 * upstream last said (see `../headroom.ts`). A credential nothing is known of yet, or whose limits
 * have reset since, counts as full; ties go to the first in config order.
 *
 * @module
 */

import type { SelectionCandidate, Selector } from '../types.js';

/** The share (0..1) of its tightest limit a candidate has left. */
export type ShareOf = (candidate: SelectionCandidate) => number;

export class HeadroomSelector implements Selector {
  readonly strategy = 'headroom' as const;

  constructor(private readonly share: ShareOf) {}

  pick(_key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    let best = candidates[0]!;
    let most = this.share(best);
    for (let i = 1; i < candidates.length; i++) {
      const share = this.share(candidates[i]!);
      if (share > most) [best, most] = [candidates[i]!, share];
    }
    return best;
  }

  /** Stateless: what {@link pick} answers. */
  peek(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    return this.pick(key, candidates);
  }
}
