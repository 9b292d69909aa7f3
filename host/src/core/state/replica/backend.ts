/**
 * What a {@link ReplicatedStateStore} shares its local view through: a backend that applies
 * each host's changes to one shared state, tells every other host about them, and hands out the
 * whole shared state for start-up and reconciliation. Implementations: Redis (`../redis/`), and
 * the primary process of `serve --workers` for the memory store (`../workers/`).
 *
 * Every time in these messages is local epoch ms of the process that reads it: a backend whose
 * clock differs (Redis's server time) converts at its edge.
 *
 * @module
 */
import type { CredentialCounters, ModelState } from '../types.js';
import type { UsageRow } from '../usage.js';

/** One change a host made to its local view, to be applied to the shared state. */
export type StateChange =
  /** A cooldown, applied with the extend-only rule: a later deadline already there wins. */
  | { kind: 'cooldown'; credentialId: string; model: string; state: ModelState }
  /** A success ended the cooldown this host knew (deadline `knownUntil`); a later one set meanwhile stays. */
  | { kind: 'clear-cooldown'; credentialId: string; model: string; knownUntil: number }
  /** Every cooldown of a credential ends (management reset). */
  | { kind: 'clear-credential'; credentialId: string }
  /** Results since the last write, added to the shared totals. */
  | { kind: 'counters'; credentialId: string; successes: number; failures: number }
  /** Round-robin moves since the last write, added to the shared cursor. */
  | { kind: 'cursor'; key: string; delta: number }
  | { kind: 'bind'; key: string; credentialId: string; expiresAt: number }
  /** With `credentialId`, only if the binding still points there. */
  | { kind: 'unbind'; key: string; credentialId?: string }
  /** Usage since the last write, added to the shared minute. */
  | { kind: 'usage'; row: UsageRow };

/** What another host changed, as the shared state now holds it. */
export type StateEvent =
  /** `state` undefined: the cooldown ended. */
  | { kind: 'cooldown'; credentialId: string; model: string; state: ModelState | undefined }
  | { kind: 'clear-credential'; credentialId: string }
  | { kind: 'cursor'; key: string; delta: number }
  | { kind: 'bind'; key: string; credentialId: string; expiresAt: number }
  | { kind: 'unbind'; key: string; credentialId?: string };

/** The whole shared state, for start-up, reconnection and the periodic reconcile. */
export interface SharedSnapshot {
  /** Cooldowns still running, by credential and model. */
  cooldowns: Map<string, Map<string, ModelState>>;
  counters: Map<string, CredentialCounters>;
  /** Requests in flight on every other live host, summed by credential. */
  inFlightElsewhere: Map<string, number>;
  /** Cursors and sessions are read only on (re)connection, where `full` asks for them. */
  cursors?: Map<string, number>;
  sessions?: Map<string, { credentialId: string; expiresAt: number }>;
}

/** The shared effect of one {@link StateChange} of kind `cooldown`: the cooldown now in force. */
export interface AppliedCooldown {
  credentialId: string;
  model: string;
  state: ModelState | undefined;
}

/** A shared state the replicated store writes through. Methods reject when it is unreachable. */
export interface StateBackend {
  /** Shown in health and metrics: `redis`, `workers`. */
  readonly name: string;
  /**
   * Applies changes in order and tells the other hosts; resolves with the cooldowns now in
   * force for each cooldown change, so the caller's view takes a longer one set elsewhere.
   */
  apply(changes: readonly StateChange[]): Promise<AppliedCooldown[]>;
  /**
   * Optional: tells the other hosts about a move at once, ahead of the write. A backend with it
   * publishes round-robin moves, session bindings and credential resets here (a request sent to
   * another host right after must see them) and not again in {@link apply}; one without it
   * tells the others in {@link apply}.
   */
  announce?(event: Exclude<StateEvent, { kind: 'cooldown' }>): void;
  /**
   * Optional, for a backend that can lose its data while this host lives (a Redis restarted
   * without persistence): after a reconnection, finds out whether it did and, if so, writes back
   * what this host knows of the counters and cursors (its own exactly, the others' as last read)
   * and resolves true, so the caller writes back its cooldowns and sessions too.
   */
  restore?(): Promise<boolean>;
  /** Every host's usage rows of the minutes in [`from`, `to`] (epoch ms), as written so far. */
  usage(from: number, to: number): Promise<UsageRow[]>;
  /** Reads the shared state; `full` adds cursors and sessions. */
  snapshot(full: boolean): Promise<SharedSnapshot>;
  /**
   * Says this host is alive, with its requests in flight by credential now (counts of hosts
   * that stop saying so are not counted). In-flight counts travel only here, once a reconcile,
   * not with every request: they are read at the same pace.
   */
  heartbeat(inFlight: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Receives other hosts' changes, `reconnected` after the link was lost and came back; resolves
   * once events flow (or the backend knows it is down).
   */
  listen(handlers: { event(event: StateEvent): void; reconnected(): void; down(error: Error): void }): Promise<void>;
  close(): Promise<void>;
}
