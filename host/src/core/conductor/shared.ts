/**
 * What the conductor shares with the gateway around it: the state and counters that outlive a
 * config reload, the changes it reports, and the hook a scheduler plugin picks through.
 *
 * @module
 */
import type { ModelState, StateStore } from '../state/types.js';
import type { Headroom } from './headroom.js';
import type { Pool, PoolMember } from './pool.js';

/** Live numbers of one credential, for a scheduler to choose by. */
export interface MemberStats {
  inFlight: number;
  successes: number;
  failures: number;
}

/**
 * A scheduler plugin's say in a pick: a member among `ready`, a built-in strategy to delegate
 * to, or undefined to let the configured strategy choose.
 */
export interface SchedulerHook {
  /** Whether a scheduler takes part now; checked first, so picks cost nothing without one. */
  present(): boolean;
  /** A member chosen by a plugin (its id, for the trace), a strategy to delegate to, or no say. */
  pick(pick: { pool: Pool; ready: readonly PoolMember[]; sessionId?: string; stats(member: PoolMember): MemberStats }): Promise<
    { member: PoolMember; pluginId: string } | 'round-robin' | 'fill-first' | undefined
  >;
}

/** A credential started cooling on a model, or a success ended its cooldown. */
export interface CredentialChange {
  member: PoolMember;
  change: 'cooling' | 'recovered';
  /** The cooldown now in force (for `cooling`). */
  state?: ModelState;
}

/** Live counters the gateway keeps across config reloads. */
export interface ConductorShared {
  /** Keyed by `Credential.key`, so state follows the API key, not its position in a list. */
  store: StateStore;
  /** Told of each change of a credential's state this host makes (for the live events). */
  onCredentialChange?(change: CredentialChange): void;
  /** The last failure this host saw on each credential (by `Credential.key`), for management. */
  lastErrors?: Map<string, LastError>;
  /** What each credential's upstream last said of its limits. */
  headroom?: Headroom;
}

/** A credential's last failure: the upstream's status (none for a network fault) and its message. */
export interface LastError {
  status?: number;
  message: string;
  /** Epoch ms. */
  at: number;
}
