/**
 * The conductor's state and the one store interface it lives behind: cooldowns per
 * (credential, model), counters per credential, strategy cursors and session bindings. The
 * default store keeps everything in memory and persists to `authDir`; the replicated store
 * (`replica/`) keeps the same local view and shares it through a backend (Redis, or the primary
 * process of `serve --workers`). Every method on the hot path is synchronous: it reads or
 * changes the local view and never waits on disk or network.
 *
 * @module
 */
import type { UsageRow } from './usage.js';

/** Why a credential may not serve a model for a while. */
export type CooldownReason =
  | 'quota' // 429
  | 'headroom' // the upstream's own headers said a limit is spent until its reset
  | 'unauthorized' // 401
  | 'payment_required' // 402
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'model_not_supported' // 400/422 saying the model is not supported
  | 'disabled' // a 429 saying the tier has no quota for the model at all (Gemini `limit: 0`)
  | 'transient'; // 408, 5xx, network errors, timeouts

/** The cooldown of one credential for one model. */
export interface ModelState {
  /** Epoch ms until which the credential must not serve the model. */
  until: number;
  reason: CooldownReason;
  /** Upstream status that caused it; absent for network faults. */
  status?: number;
  /** The upstream's message (never a secret). */
  message?: string;
  /** 429s without a retry hint wait 1 s * 2^level; kept until a success clears the state. */
  backoffLevel: number;
}

export interface CredentialCounters {
  successes: number;
  failures: number;
}

/** Whether the store reaches what it shares state through; the memory store is always up. */
export interface StoreHealth {
  /** `memory`, or the backend's name (`redis`, `workers`). */
  store: string;
  up: boolean;
  /** Why it is down (never a secret). */
  error?: string;
}

export interface StateStore {
  /** The cooldown of `credentialId` for `model`, expired ones included (callers compare `until`). */
  modelState(credentialId: string, model: string): ModelState | undefined;
  /**
   * Sets or (with undefined) clears a cooldown. A deadline is only ever extended: when the
   * current cooldown lasts longer, it stays (with the higher backoff level of the two).
   */
  setModelState(credentialId: string, model: string, state: ModelState | undefined): void;
  /** Every cooldown of a credential, by model. */
  modelStates(credentialId: string): ReadonlyMap<string, ModelState>;
  /** Clears every cooldown of a credential (management reset). */
  clearCredential(credentialId: string): void;

  counters(credentialId: string): CredentialCounters;
  recordResult(credentialId: string, success: boolean): void;

  /** Returns the cursor for `key` and advances it (round-robin). */
  nextCursor(key: string): number;
  /** The cursor for `key`, unchanged. */
  cursor(key: string): number;

  /** The credential bound to a session key, if the binding has not expired at `now`. */
  session(key: string, now: number): string | undefined;
  bindSession(key: string, credentialId: string, expiresAt: number): void;
  /** Removes a binding; with `credentialId`, only if it still points there (compare-and-delete). */
  unbindSession(key: string, credentialId?: string): void;

  /** Requests in flight on a credential, over every host sharing the store. */
  inFlight(credentialId: string): number;
  /** Counts a request starting (+1) or ending (-1) on a credential here. */
  adjustInFlight(credentialId: string, delta: number): void;

  /** Adds one request's usage to its minute (on a shared store: written behind, added up over every host). */
  addUsage(row: UsageRow): void;
  /**
   * Usage rows of the minutes in [`from`, `to`] (epoch ms), summed over every host sharing the
   * store; while the shared state is unreachable, this host's own.
   */
  usage(from: number, to: number): Promise<UsageRow[]>;

  health(): StoreHealth;

  /** Drops the state of credentials not in `ids` (after a config reload). */
  retain(ids: ReadonlySet<string>): void;
  /** Writes pending state to durable storage. */
  flush(): Promise<void>;
  /** Flushes and stops background work. */
  close(): Promise<void>;
}
