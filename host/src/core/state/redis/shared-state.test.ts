/**
 * Replicas on one real redis-server: what one host does is what every host sees, within the
 * bounds the contract sets, and a Redis that goes away costs nothing but freshness.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../../../test/helpers/redis-server.js';
import { sleep, within } from '../../../../../test/helpers/wait.js';
import { describeStateStoreContract } from '../store-contract.test-suite.js';
import { ReplicatedStateStore } from '../replica/replicated-store.js';
import type { ModelState, StoreHealth } from '../types.js';
import { RedisBackend } from './backend.js';
import { type RedisConnection, connectRedis } from './connection.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const open: ReplicatedStateStore[] = [];
/** Each replica's connection, so a test can cut one as a dying host would. */
const connections = new Map<ReplicatedStateStore, RedisConnection>();
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A replica as a host opens it; `prefix` names one shared state. */
async function replica(prefix: string, reconcileMs = 100, statuses: StoreHealth[] = []): Promise<ReplicatedStateStore> {
  let backend: RedisBackend | undefined;
  const conn = await connectRedis(redis.url, { timeoutMs: 300, onUp: () => backend?.linkUp(), onDown: (err) => backend?.linkDown(err) });
  backend = new RedisBackend(conn, { keyPrefix: prefix, heartbeatMs: reconcileMs });
  const store = await ReplicatedStateStore.open({ backend, reconcileMs, startTimeoutMs: 500, onStatus: (h) => statuses.push(h) });
  open.push(store);
  connections.set(store, conn);
  return store;
}

const quota = (ms: number, level = 1): ModelState => ({ until: Date.now() + ms, reason: 'quota', status: 429, backoffLevel: level });

describeStateStoreContract('replicated over Redis', () => replica(`t-${randomUUID()}:`));

describe('replicas sharing one Redis', () => {
  it('a cooldown set on one host is honoured by the others within 100 ms', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b, c] = await Promise.all([replica(prefix, 5_000), replica(prefix, 5_000), replica(prefix, 5_000)]);
    a.setModelState('openai:k1', 'gpt-4o', quota(30_000));
    // Reconciles are 5 s apart here: only the published event can make it in time.
    await within(100, () => b.modelState('openai:k1', 'gpt-4o') !== undefined && c.modelState('openai:k1', 'gpt-4o') !== undefined);
    expect(b.modelState('openai:k1', 'gpt-4o')!.until).toBeGreaterThan(Date.now() + 29_000);
  });

  it('a second, shorter cooldown never shortens the first, whichever host sets it', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    a.setModelState('openai:k1', 'gpt-4o', quota(30_000, 2));
    await within(100, () => b.modelState('openai:k1', 'gpt-4o') !== undefined);
    const first = b.modelState('openai:k1', 'gpt-4o')!.until;
    // B's own rule keeps the longer one; so does the server's script for a host that had not heard yet.
    b.setModelState('openai:k1', 'gpt-4o', quota(1_000, 3));
    const fresh = await replica(prefix);
    fresh.setModelState('openai:k1', 'gpt-4o', quota(2_000, 0));
    await fresh.flush();
    await sleep(50);
    for (const store of [a, b, fresh]) {
      expect(store.modelState('openai:k1', 'gpt-4o')!.until).toBeGreaterThanOrEqual(first - 5);
      expect(store.modelState('openai:k1', 'gpt-4o')!.backoffLevel).toBe(3);
    }
  });

  it('a success on one host ends the cooldown everywhere, but not one set after it was known', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    a.setModelState('openai:k1', 'm', quota(30_000));
    await within(100, () => b.modelState('openai:k1', 'm') !== undefined);
    b.setModelState('openai:k1', 'm', undefined);
    await within(100, () => a.modelState('openai:k1', 'm') === undefined);
  });

  it('round-robin cursors: picks alternating between hosts get the order one host gives', async () => {
    const prefix = `t-${randomUUID()}:`;
    const hosts = await Promise.all([replica(prefix, 5_000), replica(prefix, 5_000), replica(prefix, 5_000)]);
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) {
      const host = hosts[i % 3]!;
      seen.push(host.nextCursor('pool:gpt-4o'));
      // Stands for the request's upstream round trip: the move is published meanwhile.
      await sleep(25);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('a session bound on one host is honoured on another, and unbound everywhere', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    a.bindSession('sess-1', 'openai:k2', Date.now() + 60_000);
    await within(100, () => b.session('sess-1', Date.now()) === 'openai:k2');
    b.unbindSession('sess-1', 'openai:k2');
    await within(100, () => a.session('sess-1', Date.now()) === undefined);
  });

  it('counters add up over hosts', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    for (let i = 0; i < 5; i++) a.recordResult('openai:k1', true);
    for (let i = 0; i < 3; i++) b.recordResult('openai:k1', false);
    await within(1_000, () => a.counters('openai:k1').failures === 3 && b.counters('openai:k1').successes === 5);
    expect(a.counters('openai:k1')).toEqual({ successes: 5, failures: 3 });
  });

  it('usage adds up over hosts: each reads every host\'s rows', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    const minute = Date.now() - (Date.now() % 60_000);
    const row = { minute, client: 'ci-bot', model: 'm', provider: 'openai', credential: 'openai:k1', requests: 1, inputTokens: 10, outputTokens: 4, cachedTokens: 0, errors: 0 };
    a.addUsage(row);
    a.addUsage(row);
    b.addUsage({ ...row, errors: 1 });
    // Written behind: another host's rows are there once its next write is.
    await Promise.all([a.flush(), b.flush()]);
    for (const store of [a, b]) {
      const rows = await store.usage(minute, minute);
      const sum = rows.reduce((n, r) => ({ requests: n.requests + r.requests, inputTokens: n.inputTokens + r.inputTokens, errors: n.errors + r.errors }), { requests: 0, inputTokens: 0, errors: 0 });
      expect(sum).toEqual({ requests: 3, inputTokens: 30, errors: 1 });
    }
  });

  it('in-flight counts sum over live hosts, and a dead host\'s expire on their own', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    a.adjustInFlight('openai:k1', 1);
    a.adjustInFlight('openai:k1', 1);
    b.adjustInFlight('openai:k1', 1);
    await within(1_000, () => b.inFlight('openai:k1') === 3 && a.inFlight('openai:k1') === 3);
    // A dies without a word: its heartbeats stop and nothing cleans up after it.
    await connections.get(a)!.close();
    await within(2_000, () => b.inFlight('openai:k1') === 1);
  });

  it('a host started later reads the shared state before it serves', async () => {
    const prefix = `t-${randomUUID()}:`;
    const a = await replica(prefix);
    a.setModelState('openai:k1', 'm', quota(30_000));
    a.bindSession('s', 'openai:k1', Date.now() + 60_000);
    a.nextCursor('p');
    a.nextCursor('p');
    await a.flush();
    const late = await replica(prefix);
    expect(late.modelState('openai:k1', 'm')).toMatchObject({ reason: 'quota' });
    expect(late.session('s', Date.now())).toBe('openai:k1');
    expect(late.nextCursor('p')).toBe(2);
  });
});

describe('replicas when Redis goes away', () => {
  it('keep serving from the local view, say they are degraded, and write back what happened when Redis returns', async () => {
    const prefix = `t-${randomUUID()}:`;
    const statuses: StoreHealth[] = [];
    const a = await replica(prefix, 100, statuses);
    const b = await replica(prefix, 100);
    a.setModelState('openai:k1', 'before', quota(60_000));
    for (let i = 0; i < 4; i++) a.recordResult('openai:k1', true);
    await a.flush();
    await within(1_000, () => b.counters('openai:k1').successes === 4);

    await redis.kill();
    await within(2_000, () => !a.health().up);
    expect(statuses.at(-1)).toMatchObject({ store: 'redis', up: false });
    // Nothing throws and nothing waits: the local view decides.
    const started = performance.now();
    a.setModelState('openai:k1', 'during', quota(60_000));
    a.recordResult('openai:k1', false);
    a.bindSession('s-during', 'openai:k1', Date.now() + 60_000);
    expect(a.nextCursor('p')).toBe(0);
    expect(performance.now() - started).toBeLessThan(20);
    expect(a.modelState('openai:k1', 'during')).toBeDefined();

    // Restarted empty, as a Redis without persistence comes back.
    await redis.restart();
    await within(5_000, () => a.health().up && b.health().up);
    const late = await replica(prefix);
    await within(2_000, () => late.modelState('openai:k1', 'during') !== undefined && late.modelState('openai:k1', 'before') !== undefined);
    expect(late.counters('openai:k1')).toEqual({ successes: 4, failures: 1 });
    expect(late.session('s-during', Date.now())).toBe('openai:k1');
  });

  it('a Redis that stops answering costs at most the command timeout, and the backlog is written when it answers again', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([replica(prefix), replica(prefix, 5_000)]);
    redis.pause();
    try {
      a.setModelState('openai:k1', 'frozen', quota(60_000));
      a.recordResult('openai:k1', true);
      // Writes time out after 300 ms (the connection's bound); the store notices on its own.
      await within(2_000, () => !a.health().up);
      expect(a.modelState('openai:k1', 'frozen')).toBeDefined();
    } finally {
      redis.resume();
    }
    await within(3_000, () => a.health().up);
    await within(1_000, () => b.modelState('openai:k1', 'frozen') !== undefined);
  });
});
