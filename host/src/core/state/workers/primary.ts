/**
 * The shared state of `serve --workers` with the memory store, held by the primary process:
 * one authoritative {@link MemoryStateStore} (opened on `authDir`, so it restores and persists
 * `state.json` exactly as a single process does, and no worker ever writes that file). Each
 * worker's replica writes its changes behind to it; the primary applies them with the same
 * rules as Redis (cooldowns only extend, a cleared cooldown stays if a longer one came
 * meanwhile, counters, cursors and usage add up), answers the effective cooldowns, and tells every
 * other worker what changed. With a conversation store, stored Responses conversations live
 * here too (see `conversations.ts`).
 *
 * It knows workers only by an id and reaches them through `send`, so the host side can carry
 * it over cluster IPC and tests over an in-process pair.
 *
 * @module
 */
import type { ConversationStore } from '../conversations.js';
import type { MemoryStateStore } from '../memory-store.js';
import type { AppliedCooldown, StateEvent } from '../replica/backend.js';
import type { StateChange } from '../replica/backend.js';
import { type StateReply, type StateRequest, snapshotToWire } from './wire.js';

export interface StatePrimaryOptions {
  /** The authoritative state; the primary owns it from here on and closes it on {@link StatePrimary.close}. */
  store: MemoryStateStore;
  /** The stored Responses conversations every worker shares; closed with the primary too. */
  conversations?: ConversationStore;
  /** Delivers a message to one worker; a worker that has gone is simply skipped. */
  send(workerId: number, message: StateReply): void;
}

/** The primary's side of the workers backend. */
export class StatePrimary {
  readonly #store: MemoryStateStore;
  readonly #conversations: ConversationStore | undefined;
  readonly #send: (workerId: number, message: StateReply) => void;
  /** Live workers, each with its requests in flight by credential (absolute counts, as last reported). */
  readonly #workers = new Map<number, Map<string, number>>();

  constructor(options: StatePrimaryOptions) {
    this.#store = options.store;
    this.#conversations = options.conversations;
    this.#send = options.send;
  }

  /** A worker joined: it receives events from now on. */
  attach(workerId: number): void {
    if (!this.#workers.has(workerId)) this.#workers.set(workerId, new Map());
  }

  /** A worker exited: its requests in flight are over, and it gets no more events. */
  detach(workerId: number): void {
    this.#workers.delete(workerId);
  }

  /** Handles one request of `workerId` and sends the reply (always, an `error` one if it failed). */
  receive(workerId: number, request: StateRequest): void {
    // A request can arrive before the host saw the worker come online.
    this.attach(workerId);
    try {
      switch (request.op) {
        case 'apply': {
          const events: StateEvent[] = [];
          const applied: AppliedCooldown[] = [];
          for (const change of request.changes) this.#apply(workerId, change, events, applied);
          this.#send(workerId, { op: 'reply', id: request.id, applied });
          if (events.length > 0) this.#broadcast(workerId, events);
          return;
        }
        case 'snapshot':
          return this.#send(workerId, { op: 'reply', id: request.id, snapshot: this.#snapshot(workerId, request.full) });
        case 'usage':
          return void this.#store.usage(request.from, request.to).then((usage) => this.#send(workerId, { op: 'reply', id: request.id, usage }));
        case 'heartbeat':
          // The worker's requests in flight now, replacing what it said before.
          this.#workers.set(workerId, new Map(request.inFlight));
          return this.#send(workerId, { op: 'reply', id: request.id });
        case 'conversation-get':
        case 'conversation-put':
        case 'conversation-delete':
          return this.#conversation(workerId, request);
        default:
          return this.#send(workerId, { op: 'reply', id: (request as { id: number }).id, error: `unknown state request ${String((request as { op: unknown }).op)}` });
      }
    } catch (err) {
      this.#send(workerId, { op: 'reply', id: request.id, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Requests in flight on a credential over every live worker (for tests and diagnostics). */
  inFlight(credentialId: string): number {
    let sum = 0;
    for (const counts of this.#workers.values()) sum += counts.get(credentialId) ?? 0;
    return sum;
  }

  /** Writes the state file and stops; call once every worker has exited (their last changes are in). */
  async close(): Promise<void> {
    await Promise.all([this.#store.close(), this.#conversations?.close()]);
  }

  /** Puts apply at once (in arrival order, before any later get); gets and deletes answer when the store has. */
  #conversation(workerId: number, request: Extract<StateRequest, { op: `conversation-${string}` }>): void {
    const store = this.#conversations;
    const fail = (err: unknown) => this.#send(workerId, { op: 'reply', id: request.id, error: err instanceof Error ? err.message : String(err) });
    if (!store) return fail(new Error('the primary keeps no stored responses'));
    switch (request.op) {
      case 'conversation-put':
        store.put(request.entry);
        return this.#send(workerId, { op: 'reply', id: request.id });
      case 'conversation-get':
        return void store.get(request.responseId).then((stored) => this.#send(workerId, stored ? { op: 'reply', id: request.id, stored } : { op: 'reply', id: request.id }), fail);
      case 'conversation-delete':
        return void store.delete(request.responseId).then((deleted) => this.#send(workerId, { op: 'reply', id: request.id, deleted }), fail);
    }
  }

  #apply(workerId: number, change: StateChange, events: StateEvent[], applied: AppliedCooldown[]): void {
    const store = this.#store;
    switch (change.kind) {
      case 'cooldown': {
        const { credentialId, model } = change;
        store.setModelState(credentialId, model, change.state);
        const state = store.modelState(credentialId, model);
        applied.push({ credentialId, model, state });
        events.push({ kind: 'cooldown', credentialId, model, state });
        return;
      }
      case 'clear-cooldown': {
        const { credentialId, model } = change;
        const current = store.modelState(credentialId, model);
        // Only the cooldown the worker knew ends: a longer one another worker set meanwhile stays.
        if (current !== undefined && current.until <= change.knownUntil) store.putModelState(credentialId, model, undefined);
        const state = store.modelState(credentialId, model);
        applied.push({ credentialId, model, state });
        events.push({ kind: 'cooldown', credentialId, model, state });
        return;
      }
      case 'clear-credential':
        store.clearCredential(change.credentialId);
        events.push(change);
        return;
      case 'counters':
        // No event: replicas take the totals at their next reconcile.
        store.addCounters(change.credentialId, change.successes, change.failures);
        return;
      case 'cursor':
        store.moveCursor(change.key, change.delta);
        events.push(change);
        return;
      case 'bind':
        store.bindSession(change.key, change.credentialId, change.expiresAt);
        events.push(change);
        return;
      case 'unbind':
        store.unbindSession(change.key, change.credentialId);
        events.push(change);
        return;
      case 'usage':
        // No event: usage is read from here when asked for.
        store.addUsage(change.row);
        return;
    }
  }

  #snapshot(workerId: number, full: boolean) {
    const s = this.#store.snapshot(full);
    const inFlightElsewhere = new Map<string, number>();
    for (const [id, counts] of this.#workers) {
      if (id === workerId) continue;
      for (const [credentialId, n] of counts) inFlightElsewhere.set(credentialId, (inFlightElsewhere.get(credentialId) ?? 0) + n);
    }
    return snapshotToWire(full ? { cooldowns: s.cooldowns, counters: s.counters, inFlightElsewhere, cursors: s.cursors, sessions: s.sessions } : { cooldowns: s.cooldowns, counters: s.counters, inFlightElsewhere });
  }

  #broadcast(origin: number, events: StateEvent[]): void {
    for (const id of this.#workers.keys()) if (id !== origin) this.#send(id, { op: 'events', events });
  }
}
