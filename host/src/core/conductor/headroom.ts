/**
 * What each credential's upstream last said of its limits, per model and dimension (see
 * `upstream/rate-limits.ts`): shown in management and metrics. In memory, per host: each host
 * reads its own answers, and a signal is only as fresh as the last answer anyway.
 *
 * @module
 */
import type { RateLimit } from '../../upstream/rate-limits.js';

/** One dimension as management shows it. */
export interface HeadroomView {
  limit?: number;
  remaining?: number;
  resetAt?: string;
  source: RateLimit['source'];
}

/** The dimensions a request's input tokens count against. */
const TOKEN_DIMENSIONS = ['tokens', 'input-tokens'] as const;

export class Headroom {
  /** Credential key -> model -> dimension -> the last signal. */
  readonly #byCredential = new Map<string, Map<string, Map<string, RateLimit>>>();

  /** Takes an answer's signals for `model` on the credential `key`. */
  update(key: string, model: string, limits: readonly RateLimit[]): void {
    if (limits.length === 0) return;
    let models = this.#byCredential.get(key);
    if (!models) this.#byCredential.set(key, (models = new Map()));
    let dimensions = models.get(model);
    if (!dimensions) models.set(model, (dimensions = new Map()));
    for (const limit of limits) dimensions.set(limit.dimension, limit);
  }

  /** Every signal of the credential `key`, by model and dimension. */
  view(key: string): Record<string, Record<string, HeadroomView>> | undefined {
    const models = this.#byCredential.get(key);
    if (!models) return undefined;
    const out: Record<string, Record<string, HeadroomView>> = {};
    for (const [model, dimensions] of models) {
      out[model] = {};
      for (const [dimension, l] of dimensions) {
        const view: HeadroomView = { source: l.source };
        if (l.limit !== undefined) view.limit = l.limit;
        if (l.remaining !== undefined) view.remaining = l.remaining;
        if (l.resetAt !== undefined) view.resetAt = new Date(l.resetAt).toISOString();
        out[model][dimension] = view;
      }
    }
    return out;
  }

  /**
   * The share (0..1) left of the tightest known limit of credential `key` for `model` at `now`:
   * 1 when nothing is known, and for a dimension past its reset (full again until told otherwise).
   */
  share(key: string, model: string, now: number): number {
    const dimensions = this.#byCredential.get(key)?.get(model);
    if (!dimensions) return 1;
    let least = 1;
    for (const l of dimensions.values()) {
      if (l.limit === undefined || l.remaining === undefined || l.limit <= 0) continue;
      if (l.resetAt !== undefined && l.resetAt <= now) continue;
      least = Math.min(least, l.remaining / l.limit);
    }
    return least;
  }

  /** The fewest input tokens left before a reset still ahead (`tokens`, `input-tokens`); undefined when none is known. */
  tokensLeft(key: string, model: string, now: number): number | undefined {
    const dimensions = this.#byCredential.get(key)?.get(model);
    if (!dimensions) return undefined;
    let least: number | undefined;
    for (const name of TOKEN_DIMENSIONS) {
      const l = dimensions.get(name);
      if (l?.remaining === undefined || (l.resetAt !== undefined && l.resetAt <= now)) continue;
      least = least === undefined ? l.remaining : Math.min(least, l.remaining);
    }
    return least;
  }

  /** Every signal, for metrics: credential key, model and the signal. */
  *entries(): IterableIterator<[string, string, RateLimit]> {
    for (const [key, models] of this.#byCredential) for (const [model, dimensions] of models) for (const limit of dimensions.values()) yield [key, model, limit];
  }
}
