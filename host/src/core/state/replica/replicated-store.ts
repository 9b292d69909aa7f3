/**
 * A {@link StateStore} shared by several hosts (or worker processes): every read and write is
 * served by a local in-memory view, so a pick never waits on the network, and the view is kept
 * in step with one shared state through a {@link StateBackend}:
 *
 * - each change goes into a pending queue, coalesced by what it changes, and is written behind,
 *   one batch at a time (a batch is whatever piled up while the previous one was on the wire);
 * - other hosts' changes arrive as events and are applied at once (pub/sub);
 * - every `reconcileMs` a snapshot of cooldowns, counters and other hosts' in-flight counts
 *   replaces the local copy, as a backstop for anything an event missed;
 * - while the backend is unreachable the local view keeps deciding and changes stay pending;
 *   when it comes back, this host writes back what it knows (cooldowns extend, counters and
 *   cursors never go down) before it reads the shared state again, so a backend that lost its
 *   data (a restarted Redis without persistence) gets it back.
 *
 * @module
 */
import { MemoryStateStore } from '../memory-store.js';
import type { CredentialCounters, ModelState, StateStore, StoreHealth } from '../types.js';
import type { UsageRow } from '../usage.js';
import type { SharedSnapshot, StateBackend, StateChange, StateEvent } from './backend.js';
import { PendingChanges } from './pending.js';

export interface ReplicatedStateStoreOptions {
  backend: StateBackend;
  /** How long start-up may wait for the shared state before serving from an empty view (degraded). */
  startTimeoutMs?: number;
  /** How often the local view is reconciled with the shared state and the heartbeat is sent. */
  reconcileMs?: number;
  /** Reports a backend failure (once per outage) and its recovery. */
  onStatus?: (health: StoreHealth) => void;
  now?: () => number;
}

export class ReplicatedStateStore implements StateStore {
  readonly #local: MemoryStateStore;
  readonly #backend: StateBackend;
  readonly #pending = new PendingChanges();
  /** Other hosts' requests in flight, by credential, from the last reconcile. */
  #elsewhere = new Map<string, number>();
  readonly #reconcileMs: number;
  readonly #onStatus: (health: StoreHealth) => void;
  #health: StoreHealth;
  #flushing: Promise<void> | undefined;
  #flushQueued = false;
  /** Serialises reconciles and resyncs, so a reconcile never reads a shared state a resync is refilling. */
  #serial: Promise<void> = Promise.resolve();
  /** Set while a reconnection's write-back is in progress: reconciles wait for the full read that follows. */
  #resyncing = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /**
   * When each cooldown last changed here (set, cleared or told by another host): a snapshot read
   * before that knows nothing newer, so a reconcile must not undo it.
   */
  readonly #changedAt = new Map<string, number>();

  private constructor(options: ReplicatedStateStoreOptions) {
    this.#backend = options.backend;
    this.#local = new MemoryStateStore({ now: options.now });
    this.#reconcileMs = options.reconcileMs ?? 1000;
    this.#onStatus = options.onStatus ?? (() => {});
    this.#health = { store: options.backend.name, up: true };
  }

  /**
   * A store that has read the shared state (cooldowns, counters, sessions, cursors), or, if the
   * backend does not answer within `startTimeoutMs`, starts degraded and reads it on reconnection.
   */
  static async open(options: ReplicatedStateStoreOptions): Promise<ReplicatedStateStore> {
    const store = new ReplicatedStateStore(options);
    const backend = options.backend;
    const listening = backend.listen({
      event: (e) => store.#apply(e),
      reconnected: () => store.#resync(),
      down: (err) => store.#down(err),
    });
    try {
      // Subscribed before reading, so no change made between the read and the subscription is missed.
      const readAt = performance.now();
      const start = Promise.all([listening, backend.snapshot(true)]).then(([, snapshot]) => snapshot);
      const snapshot = await withTimeout(start, options.startTimeoutMs ?? 2000);
      store.#adopt(snapshot, readAt);
    } catch (err) {
      store.#down(err as Error);
    }
    store.#timer = setInterval(() => store.#tick(), store.#reconcileMs);
    store.#timer.unref();
    return store;
  }

  modelState(credentialId: string, model: string): ModelState | undefined {
    return this.#local.modelState(credentialId, model);
  }

  setModelState(credentialId: string, model: string, state: ModelState | undefined): void {
    const before = this.#local.modelState(credentialId, model);
    this.#changedAt.set(`${credentialId}\0${model}`, performance.now());
    this.#local.setModelState(credentialId, model, state);
    if (state !== undefined) this.#queue({ kind: 'cooldown', credentialId, model, state: this.#local.modelState(credentialId, model)! });
    else if (before !== undefined) this.#queue({ kind: 'clear-cooldown', credentialId, model, knownUntil: before.until });
  }

  modelStates(credentialId: string): ReadonlyMap<string, ModelState> {
    return this.#local.modelStates(credentialId);
  }

  clearCredential(credentialId: string): void {
    this.#cleared(credentialId);
    this.#queue({ kind: 'clear-credential', credentialId });
    this.#backend.announce?.({ kind: 'clear-credential', credentialId });
  }

  counters(credentialId: string): CredentialCounters {
    return this.#local.counters(credentialId);
  }

  recordResult(credentialId: string, success: boolean): void {
    this.#local.recordResult(credentialId, success);
    this.#queue({ kind: 'counters', credentialId, successes: success ? 1 : 0, failures: success ? 0 : 1 });
  }

  cursor(key: string): number {
    return this.#local.cursor(key);
  }

  nextCursor(key: string): number {
    const cursor = this.#local.nextCursor(key);
    this.#queue({ kind: 'cursor', key, delta: 1 });
    this.#backend.announce?.({ kind: 'cursor', key, delta: 1 });
    return cursor;
  }

  session(key: string, now: number): string | undefined {
    return this.#local.session(key, now);
  }

  bindSession(key: string, credentialId: string, expiresAt: number): void {
    this.#local.bindSession(key, credentialId, expiresAt);
    this.#queue({ kind: 'bind', key, credentialId, expiresAt });
    this.#backend.announce?.({ kind: 'bind', key, credentialId, expiresAt });
  }

  unbindSession(key: string, credentialId?: string): void {
    this.#local.unbindSession(key, credentialId);
    const change = credentialId === undefined ? ({ kind: 'unbind', key } as const) : ({ kind: 'unbind', key, credentialId } as const);
    this.#queue(change);
    this.#backend.announce?.(change);
  }

  inFlight(credentialId: string): number {
    return this.#local.inFlight(credentialId) + (this.#elsewhere.get(credentialId) ?? 0);
  }

  /** Local only: the heartbeat reports the counts (see {@link StateBackend.heartbeat}). */
  adjustInFlight(credentialId: string, delta: number): void {
    this.#local.adjustInFlight(credentialId, delta);
  }

  addUsage(row: UsageRow): void {
    this.#local.addUsage(row);
    this.#queue({ kind: 'usage', row });
  }

  /**
   * The shared rows plus this host's not yet written; while the backend is unreachable, this
   * host's own (its local view keeps every row it counted). What is pending is taken before the
   * read is sent: a batch already on the wire reaches the backend ahead of the read (one ordered
   * link), one written later is not in its answer.
   */
  async usage(from: number, to: number): Promise<UsageRow[]> {
    if (this.#health.up) {
      const unwritten = this.#pending.usage(from, to);
      try {
        return [...(await this.#backend.usage(from, to)), ...unwritten];
      } catch (err) {
        this.#down(err as Error);
      }
    }
    return this.#local.usage(from, to);
  }

  health(): StoreHealth {
    return { ...this.#health };
  }

  /** Local only: another host may still serve credentials this one's config dropped. */
  retain(ids: ReadonlySet<string>): void {
    this.#local.retain(ids);
  }

  /** Writes every pending change now; rejects when the backend cannot take them. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    this.#flushing = this.#write();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
    if (!this.#health.up) throw new Error(this.#health.error ?? 'state store unreachable');
  }

  /** Writes what is pending (best effort) and stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#serial;
    await this.flush().catch(() => {});
    await this.#backend.close();
  }

  #queue(change: StateChange): void {
    this.#pending.add(change);
    if (this.#closed || this.#flushQueued || !this.#health.up) return;
    this.#flushQueued = true;
    // setImmediate, not a microtask: every change of the current burst of requests joins the batch.
    setImmediate(() => {
      this.#flushQueued = false;
      if (!this.#flushing) void this.flush().catch(() => {});
    });
  }

  /** Sends one batch after another until nothing is pending or the backend fails. */
  async #write(): Promise<void> {
    while (this.#pending.size > 0) {
      const batch = this.#pending.take();
      try {
        const applied = await this.#backend.apply(batch);
        // The shared state's word wins, unless this host changed the same cooldown meanwhile.
        for (const a of applied) {
          if (!this.#pending.hasCooldown(a.credentialId, a.model)) this.#local.putModelState(a.credentialId, a.model, a.state);
        }
        this.#up();
      } catch (err) {
        this.#pending.restore(batch);
        this.#down(err as Error);
        return;
      }
    }
  }

  #apply(event: StateEvent): void {
    switch (event.kind) {
      case 'cooldown':
        if (this.#pending.hasCooldown(event.credentialId, event.model)) return;
        this.#local.putModelState(event.credentialId, event.model, event.state);
        this.#changedAt.set(`${event.credentialId}\0${event.model}`, performance.now());
        return;
      case 'clear-credential':
        return this.#cleared(event.credentialId);
      case 'cursor':
        return this.#local.moveCursor(event.key, event.delta);
      case 'bind':
        return this.#local.bindSession(event.key, event.credentialId, event.expiresAt);
      case 'unbind':
        return this.#local.unbindSession(event.key, event.credentialId);
    }
  }

  /**
   * Takes the shared state's cooldowns, counters and in-flight counts (read from `readAt` on),
   * keeping changes not yet written, or made since the read began, on top.
   */
  #adopt(snapshot: SharedSnapshot, readAt: number): void {
    for (const [key, at] of this.#changedAt) if (at < readAt) this.#changedAt.delete(key);
    const newer = (id: string, model: string) => this.#pending.hasCooldown(id, model) || this.#changedAt.has(`${id}\0${model}`);
    const local = this.#local.snapshot(false);
    for (const [id, models] of local.cooldowns) {
      for (const model of models.keys()) {
        if (!snapshot.cooldowns.get(id)?.has(model) && !newer(id, model)) this.#local.putModelState(id, model, undefined);
      }
    }
    for (const [id, models] of snapshot.cooldowns) {
      for (const [model, state] of models) if (!newer(id, model)) this.#local.putModelState(id, model, state);
    }
    for (const [id, counters] of snapshot.counters) {
      const pending = this.#pending.counters(id);
      this.#local.putCounters(id, { successes: counters.successes + pending.successes, failures: counters.failures + pending.failures });
    }
    this.#elsewhere = snapshot.inFlightElsewhere;
    for (const [key, value] of snapshot.cursors ?? []) this.#local.moveCursor(key, value + this.#pending.cursor(key), true);
    for (const [key, b] of snapshot.sessions ?? []) this.#local.bindSession(key, b.credentialId, b.expiresAt);
  }

  /** Ends every cooldown of a credential here, so that no reconcile read before brings one back. */
  #cleared(credentialId: string): void {
    const now = performance.now();
    for (const model of this.#local.modelStates(credentialId).keys()) this.#changedAt.set(`${credentialId}\0${model}`, now);
    this.#local.clearCredential(credentialId);
  }

  #tick(): void {
    this.#serial = this.#serial.then(async () => {
      if (this.#closed || this.#resyncing) return;
      try {
        await this.#backend.heartbeat(this.#local.snapshot(false).inFlight);
        if (this.#pending.size > 0) await this.flush();
        const readAt = performance.now();
        this.#adopt(await this.#backend.snapshot(false), readAt);
        this.#up();
      } catch (err) {
        this.#down(err as Error);
      }
    });
  }

  /**
   * After the link came back: if the shared state lost its data meanwhile, write back this
   * host's view of it; then write what is pending and read the whole shared state.
   */
  #resync(): void {
    this.#resyncing = true;
    this.#serial = this.#serial.then(async () => {
      try {
        if (await this.#backend.restore?.()) {
          const view = this.#local.snapshot();
          for (const [credentialId, models] of view.cooldowns) {
            for (const [model, state] of models) if (!this.#pending.hasCooldown(credentialId, model)) this.#pending.add({ kind: 'cooldown', credentialId, model, state });
          }
          for (const [key, b] of view.sessions) this.#pending.add({ kind: 'bind', key, credentialId: b.credentialId, expiresAt: b.expiresAt });
        }
        this.#health = { ...this.#health, up: true };
        await this.flush();
        const readAt = performance.now();
        this.#adopt(await this.#backend.snapshot(true), readAt);
        this.#up();
      } catch (err) {
        this.#down(err as Error);
      } finally {
        this.#resyncing = false;
      }
    });
  }

  #up(): void {
    if (this.#health.up) return;
    this.#health = { store: this.#backend.name, up: true };
    this.#onStatus(this.health());
  }

  #down(err: Error): void {
    const was = this.#health.up;
    this.#health = { store: this.#backend.name, up: false, error: err.message };
    if (was) this.#onStatus(this.health());
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
