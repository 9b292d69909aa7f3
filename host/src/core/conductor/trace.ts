/**
 * What the conductor tells a request's decision trace while it runs: each pool as it first
 * considers it, each credential it picks and why, and each attempt with the cooldown it caused.
 * The trace itself (what it keeps, how it names things) lives in the pipeline; the conductor
 * only reports, and costs nothing more when no trace listens.
 *
 * @module
 */
import type { Attempt } from './outcome.js';
import type { Pool, PoolMember } from './pool.js';

/** Why a credential was picked: the strategy's name, `affinity`, or `scheduler:<plugin id>`. */
export type PickReason = string;

export interface RunTrace {
  /** The conductor turned to `pool` (the first time in this run); `deadline` (epoch ms) is the client's, if it set one. */
  pool(pool: Pool, deadline?: number): void;
  picked(member: PoolMember, why: PickReason): void;
  /** An attempt ended; `cooldownUntil` is the cooldown it caused (epoch ms), if any. */
  attempted(attempt: Attempt, cooldownUntil?: number): void;
}
