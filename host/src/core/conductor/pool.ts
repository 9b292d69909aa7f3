/**
 * What the conductor chooses among: a chain of pools, one per candidate of a fallback chain
 * (or a single pool for a plain model). A pool holds every credential that can serve its model,
 * across the providers serving it.
 *
 * @module
 */
import type { Credential, ProviderRuntime } from '../provider.js';
import type { SelectionCandidate } from './types.js';

/** One credential able to serve a pool's model. */
export interface PoolMember extends SelectionCandidate {
  readonly credential: Credential;
  readonly providerRuntime: ProviderRuntime;
  /** The model name the upstream knows: the one this attempt asks for. */
  readonly model: string;
  /**
   * Every upstream model behind the name on this credential, `model` first: one for a plain
   * name, several for an alias repeated over models (an alias pool, tried in turn on the same
   * credential before the conductor moves on).
   */
  readonly models: readonly string[];
  /** The name the credential registered in the registry (an alias or the model). */
  readonly registered: string;
}

export interface Pool {
  /** Scopes cursors and session bindings: the model name this pool serves. */
  readonly key: string;
  /** How attempts and errors name this candidate, e.g. `anthropic/claude-sonnet-4-6`. */
  readonly label: string;
  /** In stable order: provider order, then credential index. */
  readonly members: readonly PoolMember[];
}
