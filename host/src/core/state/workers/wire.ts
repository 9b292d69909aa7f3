/**
 * The state half of what `serve --workers` processes say to each other: the requests a worker's
 * state backend and conversation store send the primary, the replies, and the events the primary
 * broadcasts.
 * The host side (`host/src/workers/messages.ts`) wraps these in its envelope beside its own
 * messages (metrics, reloads, shutdown); this layer only sees its own half.
 *
 * Everything here survives JSON, the serialisation Node's cluster IPC uses by default: maps
 * travel as entry lists, and no field relies on `undefined` surviving (a missing field reads
 * back as `undefined`).
 *
 * @module
 */
import type { StoredResponse } from '../conversations.js';
import type { CredentialCounters, ModelState } from '../types.js';
import type { UsageRow } from '../usage.js';
import type { AppliedCooldown, SharedSnapshot, StateChange, StateEvent } from '../replica/backend.js';

/** A {@link SharedSnapshot} as it travels. */
export interface WireSnapshot {
  cooldowns: [string, [string, ModelState][]][];
  counters: [string, CredentialCounters][];
  inFlightElsewhere: [string, number][];
  cursors?: [string, number][];
  sessions?: [string, { credentialId: string; expiresAt: number }][];
}

/** Worker -> primary: each carries an id its reply repeats. */
export type StateRequest =
  | { op: 'apply'; id: number; changes: StateChange[] }
  | { op: 'snapshot'; id: number; full: boolean }
  | { op: 'usage'; id: number; from: number; to: number }
  /** A round trip: tells the worker the primary still answers. */
  | { op: 'heartbeat'; id: number; inFlight: [string, number][] }
  /** Stored Responses conversations live in the primary too, so every worker sees each put and delete at once. */
  | { op: 'conversation-get'; id: number; responseId: string }
  | { op: 'conversation-put'; id: number; entry: StoredResponse }
  | { op: 'conversation-delete'; id: number; responseId: string };

/** Primary -> worker. */
export type StateReply =
  /**
   * The answer to request `id`: `applied` for apply, `snapshot` for snapshot, `stored` for a
   * conversation get (absent: none), `deleted` for a conversation delete, `usage` for usage,
   * `error` when it failed.
   */
  | { op: 'reply'; id: number; applied?: AppliedCooldown[]; snapshot?: WireSnapshot; usage?: UsageRow[]; stored?: StoredResponse; deleted?: boolean; error?: string }
  /** What another worker changed, in the order the primary applied it. */
  | { op: 'events'; events: StateEvent[] };

/** One end of the link as the state code sees it: the host side supplies it (cluster IPC, or a test's in-process pair). */
export interface StateChannel<Out, In> {
  send(message: Out): void;
  /** Registers the receiver; the returned function unregisters it. */
  receive(handler: (message: In) => void): () => void;
}

export function snapshotToWire(s: SharedSnapshot): WireSnapshot {
  const wire: WireSnapshot = {
    cooldowns: [...s.cooldowns].map(([id, models]) => [id, [...models]]),
    counters: [...s.counters],
    inFlightElsewhere: [...s.inFlightElsewhere],
  };
  if (s.cursors) wire.cursors = [...s.cursors];
  if (s.sessions) wire.sessions = [...s.sessions];
  return wire;
}

export function snapshotFromWire(w: WireSnapshot): SharedSnapshot {
  const snapshot: SharedSnapshot = {
    cooldowns: new Map(w.cooldowns.map(([id, models]) => [id, new Map(models)])),
    counters: new Map(w.counters),
    inFlightElsewhere: new Map(w.inFlightElsewhere),
  };
  if (w.cursors) snapshot.cursors = new Map(w.cursors);
  if (w.sessions) snapshot.sessions = new Map(w.sessions);
  return snapshot;
}
