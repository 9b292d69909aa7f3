/**
 * The workers backend pair without forking: a {@link StatePrimary} and one {@link WorkersBackend}
 * per "worker", wired over in-process EventEmitter channels that copy every message through JSON
 * and deliver it on a later tick, as cluster IPC does.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../memory-store.js';
import type { StateEvent } from '../replica/backend.js';
import { ReplicatedStateStore } from '../replica/replicated-store.js';
import type { ModelState } from '../types.js';
import type { StoredResponse } from '../conversations.js';
import { FileConversationStore } from '../file-conversations.js';
import { WorkersBackend } from './backend.js';
import { WorkersConversationStore } from './conversations.js';
import { PrimaryPeer } from './peer.js';
import { StatePrimary } from './primary.js';
import type { StateChannel, StateReply, StateRequest } from './wire.js';
import { describeStateStoreContract } from '../store-contract.test-suite.js';

const ipc = <T>(message: T): T => JSON.parse(JSON.stringify(message));
const later = (fn: () => void) => setImmediate(fn);
const cooldown = (untilIn: number, extra: Partial<ModelState> = {}): ModelState => ({ until: Date.now() + untilIn, reason: 'quota', backoffLevel: 0, status: 429, ...extra });

interface Rig {
  primary: StatePrimary;
  store: MemoryStateStore;
  /** Worker `id`'s link, backend, conversation store and the events it received. */
  worker(id: number): { peer: PrimaryPeer; backend: WorkersBackend; conversations: WorkersConversationStore; events: StateEvent[]; down: Error[] };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function rig(store = new MemoryStateStore(), options: { timeoutMs?: number; silent?: boolean; conversations?: FileConversationStore } = {}): Rig {
  const toWorker = new Map<number, EventEmitter>();
  const primary = new StatePrimary({
    store,
    conversations: options.conversations,
    send: (id, message) => {
      const port = toWorker.get(id);
      if (port && !options.silent) later(() => port.emit('message', ipc(message)));
    },
  });
  const workers = new Map<number, ReturnType<Rig['worker']>>();
  return {
    primary,
    store,
    worker(id) {
      let w = workers.get(id);
      if (w) return w;
      const port = new EventEmitter();
      toWorker.set(id, port);
      primary.attach(id);
      const channel: StateChannel<StateRequest, StateReply> = {
        send: (message) => later(() => primary.receive(id, ipc(message))),
        receive: (handler) => {
          port.on('message', handler);
          return () => port.off('message', handler);
        },
      };
      const peer = new PrimaryPeer({ channel, timeoutMs: options.timeoutMs });
      const backend = new WorkersBackend(peer);
      const conversations = new WorkersConversationStore(peer);
      const events: StateEvent[] = [];
      const down: Error[] = [];
      void backend.listen({ event: (e) => events.push(e), reconnected: () => {}, down: (e) => down.push(e) });
      cleanups.push(() => backend.close());
      w = { peer, backend, conversations, events, down };
      workers.set(id, w);
      return w;
    },
  };
}

describe('StatePrimary with WorkersBackend', () => {
  it('extends cooldowns only, answers the cooldown in force and tells the other workers', async () => {
    const { worker, store } = rig();
    const [a, b, c] = [worker(1), worker(2), worker(3)];
    const long = cooldown(60_000);
    expect(await a.backend.apply([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: long }])).toEqual([{ credentialId: 'k1', model: 'm', state: long }]);
    // A shorter one from another worker does not shorten it: the answer is the longer one.
    const applied = await b.backend.apply([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: cooldown(1_000, { backoffLevel: 2 }) }]);
    expect(applied[0]!.state).toMatchObject({ until: long.until, backoffLevel: 2 });
    expect(store.modelState('k1', 'm')!.until).toBe(long.until);
    await new Promise((r) => setImmediate(r));
    expect(a.events).toEqual([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: { ...long, backoffLevel: 2 } }]);
    expect(b.events).toEqual([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: long }]);
    expect(c.events).toHaveLength(2);
  });

  it('ends only the cooldown the worker knew', async () => {
    const { worker, store } = rig();
    const a = worker(1);
    const first = cooldown(10_000);
    await a.backend.apply([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: first }]);
    const longer = cooldown(60_000);
    await worker(2).backend.apply([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: longer }]);
    // Worker 1 saw a success and knew only the first deadline: the longer cooldown stays.
    const kept = await a.backend.apply([{ kind: 'clear-cooldown', credentialId: 'k1', model: 'm', knownUntil: first.until }]);
    expect(kept).toEqual([{ credentialId: 'k1', model: 'm', state: longer }]);
    const cleared = await a.backend.apply([{ kind: 'clear-cooldown', credentialId: 'k1', model: 'm', knownUntil: longer.until }]);
    expect(cleared).toEqual([{ credentialId: 'k1', model: 'm', state: undefined }]);
    expect(store.modelState('k1', 'm')).toBeUndefined();
    await a.backend.apply([{ kind: 'cooldown', credentialId: 'k2', model: 'x', state: first }, { kind: 'clear-credential', credentialId: 'k2' }]);
    expect(store.modelStates('k2').size).toBe(0);
  });

  it('adds counters and cursors, keeps sessions, and hands them out in snapshots', async () => {
    const { worker } = rig();
    const [a, b] = [worker(1), worker(2)];
    await a.backend.apply([{ kind: 'counters', credentialId: 'k1', successes: 3, failures: 1 }, { kind: 'cursor', key: 'pool', delta: 2 }]);
    await b.backend.apply([
      { kind: 'counters', credentialId: 'k1', successes: 2, failures: 0 },
      { kind: 'cursor', key: 'pool', delta: 1 },
      { kind: 'bind', key: 's1', credentialId: 'k1', expiresAt: Date.now() + 60_000 },
      { kind: 'bind', key: 's2', credentialId: 'k2', expiresAt: Date.now() + 60_000 },
      { kind: 'unbind', key: 's2', credentialId: 'other' },
      { kind: 'unbind', key: 's1', credentialId: 'k1' },
    ]);
    const partial = await a.backend.snapshot(false);
    expect(partial.counters.get('k1')).toEqual({ successes: 5, failures: 1 });
    expect(partial.cursors).toBeUndefined();
    const full = await a.backend.snapshot(true);
    expect(full.cursors!.get('pool')).toBe(3);
    expect([...full.sessions!.keys()]).toEqual(['s2']);
    await new Promise((r) => setImmediate(r));
    // Counters travel in snapshots only; the rest as events, to the other worker alone.
    expect(a.events.map((e) => e.kind)).toEqual(['cursor', 'bind', 'bind', 'unbind', 'unbind']);
    expect(b.events).toEqual([{ kind: 'cursor', key: 'pool', delta: 2 }]);
  });

  it('counts every other worker’s requests in flight as its heartbeat says, until that worker exits', async () => {
    const { worker, primary } = rig();
    const [a, b, c] = [worker(1), worker(2), worker(3)];
    await b.backend.heartbeat(new Map([['k1', 2]]));
    await c.backend.heartbeat(new Map([['k1', 1]]));
    await a.backend.heartbeat(new Map([['k1', 5]]));
    expect((await a.backend.snapshot(false)).inFlightElsewhere.get('k1')).toBe(3);
    expect((await b.backend.snapshot(false)).inFlightElsewhere.get('k1')).toBe(6);
    primary.detach(3);
    expect((await a.backend.snapshot(false)).inFlightElsewhere.get('k1')).toBe(2);
    await b.backend.heartbeat(new Map());
    expect(primary.inFlight('k1')).toBe(5);
  });

  it('fails a request the primary does not answer within the bound, and everything once the link is lost', async () => {
    const { worker } = rig(new MemoryStateStore(), { timeoutMs: 50, silent: true });
    const a = worker(1);
    const started = Date.now();
    await expect(a.backend.heartbeat(new Map())).rejects.toThrow(/did not answer a heartbeat request within 50 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
    const waiting = a.backend.snapshot(true);
    a.peer.lost(new Error('primary gone'));
    await expect(waiting).rejects.toThrow('primary gone');
    await expect(a.backend.apply([])).rejects.toThrow('primary gone');
    expect(a.down.map((e) => e.message)).toEqual(['primary gone']);
  });

  it('persists to authDir through the primary alone, and restores from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-state-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = rig(await MemoryStateStore.open({ dir, flushDelayMs: 10 }));
    const long = cooldown(60_000);
    await first.worker(1).backend.apply([{ kind: 'cooldown', credentialId: 'k1', model: 'm', state: long }, { kind: 'counters', credentialId: 'k1', successes: 1, failures: 0 }]);
    await first.primary.close();
    const file = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(file.credentials.k1).toEqual({ counters: { successes: 1, failures: 0 }, models: { m: long } });
    const second = rig(await MemoryStateStore.open({ dir }));
    const snapshot = await second.worker(1).backend.snapshot(true);
    expect(snapshot.cooldowns.get('k1')?.get('m')).toEqual(long);
    await second.primary.close();
  });
});

describe('WorkersConversationStore', () => {
  const entry = (id: string, owner = 'key:a'): StoredResponse => ({ id, owner, expiresAt: Date.now() + 60_000, input: [{ role: 'user', content: 'hi' }], output: [], response: { id } });

  it('shares stored responses through the primary: a put is seen by every worker at once, a delete on one holds on all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-workers-conv-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const files = await FileConversationStore.open({ dir });
    const { worker, primary } = rig(new MemoryStateStore(), { conversations: files });
    const [a, b] = [worker(1), worker(2)];
    a.conversations.put(entry('resp_1'));
    // Sent before anything the worker does next: the other worker's read right after finds it.
    expect(await b.conversations.get('resp_1')).toMatchObject({ id: 'resp_1', owner: 'key:a' });
    expect(await b.conversations.delete('resp_1')).toBe(true);
    expect(await a.conversations.get('resp_1')).toBeUndefined();
    a.conversations.put(entry('resp_2'));
    await a.conversations.close();
    await primary.close();
    // The primary alone wrote the file, and a restart finds it.
    expect(await (await FileConversationStore.open({ dir })).get('resp_2')).toMatchObject({ id: 'resp_2' });
  });

  it('answers 503, not "not found", when the primary does not answer', async () => {
    const a = rig(new MemoryStateStore(), { timeoutMs: 30, silent: true }).worker(1);
    await expect(a.conversations.get('resp_1')).rejects.toMatchObject({ status: 503, message: expect.stringContaining('stored responses unavailable') });
  });
});

describeStateStoreContract('replicated through the primary (serve --workers)', () => ReplicatedStateStore.open({ backend: rig().worker(1).backend, reconcileMs: 50 }));

describe('ReplicatedStateStore over the workers backend', () => {
  it('shares cooldowns, sessions, cursors, counters, in-flight counts and usage between two workers', async () => {
    const { worker, store } = rig();
    const open = (id: number) => ReplicatedStateStore.open({ backend: worker(id).backend, reconcileMs: 20 });
    const [a, b] = await Promise.all([open(1), open(2)]);
    cleanups.push(() => a.close(), () => b.close());
    const until = (check: () => boolean) => expect.poll(check, { timeout: 2_000, interval: 5 }).toBe(true);

    a.setModelState('k1', 'm', cooldown(30_000));
    await until(() => b.modelState('k1', 'm') !== undefined);
    expect(b.health()).toEqual({ store: 'workers', up: true });

    b.bindSession('s', 'k2', Date.now() + 60_000);
    await until(() => a.session('s', Date.now()) === 'k2');

    expect([a.nextCursor('pool'), a.nextCursor('pool')]).toEqual([0, 1]);
    // nextCursor moves the cursor, so it is asked once, after the primary has both moves and has told b.
    await until(() => store.snapshot().cursors.get('pool') === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(b.nextCursor('pool')).toBe(2);

    a.recordResult('k1', true);
    b.recordResult('k1', false);
    await until(() => a.counters('k1').successes === 1 && a.counters('k1').failures === 1);

    a.adjustInFlight('k3', 1);
    await until(() => b.inFlight('k3') === 1);
    a.adjustInFlight('k3', -1);
    await until(() => b.inFlight('k3') === 0);

    const minute = Date.now() - (Date.now() % 60_000);
    const row = { minute, client: 'ci-bot', model: 'm', provider: 'p', credential: 'k1', requests: 1, inputTokens: 10, outputTokens: 4, cachedTokens: 0, errors: 0 };
    a.addUsage(row);
    b.addUsage({ ...row, inputTokens: 5 });
    await Promise.all([a.flush(), b.flush()]);
    for (const s of [a, b]) {
      const rows = await s.usage(minute, minute);
      expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(2);
      expect(rows.reduce((n, r) => n + r.inputTokens, 0)).toBe(15);
    }
  });
});
