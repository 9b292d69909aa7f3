/**
 * Shapes shared by the conductor's parts: what a selector chooses among, and how an attempt's
 * failure is described to the cooldown state machine.
 *
 * @module
 */
import type { UpstreamFailureKind } from '../../upstream/errors.js';

/** Routing strategies of `routing.strategy`. */
export type Strategy = 'round-robin' | 'fill-first' | 'weighted' | 'headroom';

/** A credential as selectors see it: no secret, only what choosing needs. */
export interface SelectionCandidate {
  /** Credential id, `provider#index`. */
  readonly id: string;
  readonly provider: string;
  /** Higher is preferred; selectors are given one tier at a time. */
  readonly priority: number;
  /** For `weighted`; positive. */
  readonly weight: number;
}

/** Picks one credential among candidates of one priority tier. */
export interface Selector {
  readonly strategy: Strategy;
  /**
   * Picks among `candidates` (non-empty, in stable config order). `key` scopes the selector's
   * memory (cursor, credits): the conductor passes one key per (pool, model).
   */
  pick(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate;
  /** What {@link pick} would answer now, changing nothing (for explain). */
  peek(key: string, candidates: readonly SelectionCandidate[]): SelectionCandidate;
}

/** A failed upstream attempt, as the cooldown state machine needs it. */
export interface FailureInput {
  kind: UpstreamFailureKind;
  /** Upstream HTTP status; absent for network faults and timeouts. */
  status?: number;
  /** The upstream's retry hint, from Retry-After / retry-after-ms. */
  retryAfterMs?: number;
  /** The upstream's error message. */
  message: string;
  /** The upstream's error body as it sent it (secrets scrubbed), where the reason often is. */
  body?: string;
}
