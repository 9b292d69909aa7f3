/**
 * The replicated store's own rules, over a backend the test controls: what it writes and when,
 * what an outage costs, and which of a reconcile's answers it may take.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelState } from '../types.js';
import type { AppliedCooldown, SharedSnapshot, StateBackend, StateChange, StateEvent } from './backend.js';
import { ReplicatedStateStore } from './replicated-store.js';

const empty = (): SharedSnapshot => ({ cooldowns: new Map(), counters: new Map(), inFlightElsewhere: new Map() });
const quota = (ms: number): ModelState => ({ until: Date.now() + ms, reason: 'quota', status: 429, backoffLevel: 1 });

/** A backend that records every batch, fails while `down`, and answers snapshots when the test says. */
class ScriptedBackend implements StateBackend {
  readonly name = 'scripted';
  batches: StateChange[][] = [];
  down = false;
  snapshots: ((s: SharedSnapshot) => void)[] = [];
  handlers: { event(e: StateEvent): void; reconnected(): void; down(err: Error): void } | undefined;

  async apply(changes: readonly StateChange[]): Promise<AppliedCooldown[]> {
    if (this.down) throw new Error('scripted outage');
    this.batches.push(changes.map((c) => ({ ...c })));
    return changes.flatMap((c) => (c.kind === 'cooldown' ? [{ credentialId: c.credentialId, model: c.model, state: c.state }] : []));
  }
  snapshot(): Promise<SharedSnapshot> {
    if (this.down) return Promise.reject(new Error('scripted outage'));
    return new Promise((resolve) => this.snapshots.push(resolve));
  }
  async heartbeat(): Promise<void> {
    if (this.down) throw new Error('scripted outage');
  }
  async listen(handlers: NonNullable<ScriptedBackend['handlers']>): Promise<void> {
    this.handlers = handlers;
  }
  async close(): Promise<void> {}
}

const stores: ReplicatedStateStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function open(backend: ScriptedBackend): Promise<ReplicatedStateStore> {
  const opening = ReplicatedStateStore.open({ backend, reconcileMs: 60_000 });
  await new Promise((r) => setImmediate(r));
  backend.snapshots.shift()!(empty());
  const store = await opening;
  stores.push(store);
  return store;
}
const turn = () => new Promise((r) => setImmediate(r));

describe('ReplicatedStateStore', () => {
  it('writes the changes of one event-loop turn as one batch, coalesced', async () => {
    const backend = new ScriptedBackend();
    const store = await open(backend);
    for (let i = 0; i < 10; i++) store.recordResult('k1', i % 2 === 0);
    store.nextCursor('p');
    store.nextCursor('p');
    await turn();
    await turn();
    expect(backend.batches).toEqual([
      [
        { kind: 'counters', credentialId: 'k1', successes: 5, failures: 5 },
        { kind: 'cursor', key: 'p', delta: 2 },
      ],
    ]);
  });

  it('an outage costs memory by state, not by traffic, and what piled up is written when it ends', async () => {
    const backend = new ScriptedBackend();
    const store = await open(backend);
    backend.down = true;
    store.recordResult('k1', true);
    await turn();
    await turn();
    expect(store.health()).toMatchObject({ up: false, error: 'scripted outage' });
    for (let i = 0; i < 1000; i++) {
      store.recordResult('k1', true);
      store.setModelState('k1', 'm', quota(30_000 + i));
    }
    expect(store.counters('k1').successes).toBe(1001);
    backend.down = false;
    backend.handlers!.reconnected();
    await turn();
    await turn();
    const written = backend.batches.flat();
    expect(written.filter((c) => c.kind === 'counters')).toEqual([{ kind: 'counters', credentialId: 'k1', successes: 1001, failures: 0 }]);
    expect(written.filter((c) => c.kind === 'cooldown')).toHaveLength(1);
    // The reconnection reads the shared state again.
    backend.snapshots.shift()!(empty());
    await turn();
    expect(store.health().up).toBe(true);
  });

  it('a reconcile read before a cooldown was set, or before a reset, does not undo it', async () => {
    const backend = new ScriptedBackend();
    const store = await open(backend);
    store.setModelState('k0', 'm', quota(60_000));
    const stale: SharedSnapshot = { ...empty(), cooldowns: new Map([['k0', new Map([['m', quota(60_000)]])]]) };
    await turn();
    // A full read starts (a reconnection's; a periodic reconcile reads the same way)...
    backend.handlers!.reconnected();
    await turn();
    expect(backend.snapshots).toHaveLength(1);
    // ...then, while it is on the wire, this host learns of a 429 and an operator resets k0.
    store.setModelState('k1', 'm', quota(30_000));
    store.clearCredential('k0');
    await turn();
    backend.snapshots.shift()!(stale);
    await turn();
    expect(store.modelState('k1', 'm')).toBeDefined();
    expect(store.modelState('k0', 'm')).toBeUndefined();
  });
});
