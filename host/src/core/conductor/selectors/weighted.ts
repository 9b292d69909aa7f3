/**
 * The `weighted` strategy: smooth weighted round-robin, as nginx's upstream module does it.
 *
 * Each pick adds every candidate's weight to its credit, picks the candidate with the most
 * credit (the first one on a tie) and takes the total weight off the winner. Over any window of
 * `total` picks each candidate is chosen exactly `weight` times, and the choices are interleaved
 * (5:1:1 gives a,a,b,a,c,a,a) instead of bursting through one credential's share at a time.
 *
 * @module
 */

import type { SelectionCandidate, Selector } from '../types.js';

/** Keys tracked at most before the table is cleared; see {@link WeightedSelector}. */
const DEFAULT_MAX_WEIGHTED_KEYS = 4096;

/** The credits of one key, valid only for the candidate set and weights they were built for. */
interface KeyCredits {
  /** Candidate ids, in the order the credits below are indexed. */
  readonly ids: string[];
  /** Usable weight per candidate: the configured weight, or 0 where it cannot be used. */
  readonly usable: number[];
  /** No weight is usable, so every candidate counts as weight 1. */
  readonly uniform: boolean;
  /** Sum of the effective weights. */
  readonly total: number;
  readonly credits: number[];
}

/**
 * A weight that can take part in the arithmetic. Zero, negative and non-finite weights are
 * skipped: Infinity would turn credits into NaN, and a negative weight would never win anyway
 * while distorting the others' credits.
 */
function usableWeight(weight: number): number {
  return weight > 0 && Number.isFinite(weight) ? weight : 0;
}

/** Smooth weighted round-robin with credits kept in memory per key. */
export class WeightedSelector implements Selector {
  readonly strategy = 'weighted' as const;
  private readonly keys = new Map<string, KeyCredits>();

  /**
   * @param maxKeys Keys tracked at most. Keys are per (pool, model) and models come from
   *   clients, so the table is bounded; when a new key would exceed it, the table is cleared,
   *   which costs only a restart of the interleaving, never a wrong pick.
   */
  constructor(private readonly maxKeys = DEFAULT_MAX_WEIGHTED_KEYS) {}

  /** Picks the candidate with the most credit after this round's weights are added. */
  pick(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    let state = this.keys.get(key);
    if (state === undefined || !matches(state, candidates)) state = this.reset(key, candidates);
    const best = winner(state, state.credits);
    state.credits[best] -= state.total;
    return candidates[best];
  }

  peek(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate {
    const state = this.keys.get(key);
    if (state === undefined || !matches(state, candidates)) return candidates[winner(fresh(candidates), new Array<number>(candidates.length).fill(0))];
    return candidates[winner(state, [...state.credits])];
  }

  /**
   * Starts the key over with zero credits. Called whenever the candidate set or the weights
   * change: a credential back from cooldown must not return with credit saved up (it would take
   * a burst of consecutive picks), and stale credits would skew the new proportions.
   */
  private reset(key: string, candidates: readonly SelectionCandidate[]): KeyCredits {
    const n = candidates.length;
    const ids = new Array<string>(n);
    const usable = new Array<number>(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      ids[i] = candidates[i].id;
      usable[i] = usableWeight(candidates[i].weight);
      total += usable[i];
    }
    const uniform = total === 0;
    const state: KeyCredits = { ids, usable, uniform, total: uniform ? n : total, credits: new Array<number>(n).fill(0) };
    if (!this.keys.has(key) && this.keys.size >= this.maxKeys) this.keys.clear();
    this.keys.set(key, state);
    return state;
  }
}

/** Adds this round's weights to `credits` and returns the index with the most (the first on a tie). */
function winner(state: Pick<KeyCredits, 'usable' | 'uniform'>, credits: number[]): number {
  let best = -1;
  for (let i = 0; i < credits.length; i++) {
    const weight = state.uniform ? 1 : state.usable[i];
    if (weight === 0) continue;
    credits[i] += weight;
    // Strictly greater, so the first candidate in config order wins a tie.
    if (best < 0 || credits[i] > credits[best]) best = i;
  }
  return best;
}

/** Usable weights of a candidate set not seen before. */
function fresh(candidates: readonly SelectionCandidate[]): Pick<KeyCredits, 'usable' | 'uniform'> {
  const usable = candidates.map((c) => usableWeight(c.weight));
  return { usable, uniform: usable.every((w) => w === 0) };
}

/** Whether `state` was built for exactly these candidates (ids, order and usable weights). */
function matches(state: KeyCredits, candidates: readonly SelectionCandidate[]): boolean {
  if (state.ids.length !== candidates.length) return false;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (state.ids[i] !== c.id || state.usable[i] !== usableWeight(c.weight)) return false;
  }
  return true;
}
