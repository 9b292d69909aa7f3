/**
 * Stored conversations shared through a real redis-server: what one host stores another reads,
 * expiry follows `expiresAt`, and an outage costs nothing but what the other hosts can see.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, redisCli, startRedis } from '../../../../../test/helpers/redis-server.js';
import type { StoredResponse } from '../conversations.js';
import { type RedisConnection, connectRedis } from './connection.js';
import { RedisConversationStore, type RedisConversationStoreOptions } from './conversations.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function eventually<T>(ms: number, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${JSON.stringify(value)}`);
    await sleep(10);
  }
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A host's store on `server`: its own connection, `linkUp` wired as a host would. */
async function host(prefix: string, server = redis, options: Partial<RedisConversationStoreOptions> = {}) {
  let store: RedisConversationStore | undefined;
  const connection: RedisConnection = await connectRedis(server.url, { timeoutMs: 300, onUp: () => store?.linkUp() });
  store = new RedisConversationStore(connection, { keyPrefix: prefix, ...options });
  const s = store;
  cleanups.push(async () => {
    await s.close();
    await connection.close();
  });
  return { store: s, connection };
}

function response(owner = 'client-a', ttlMs = 60_000): StoredResponse {
  const id = `resp_${randomUUID().replaceAll('-', '')}`;
  return { id, owner, expiresAt: Date.now() + ttlMs, input: [{ role: 'user', content: 'hi' }], output: [{ type: 'message', content: 'hello' }], response: { id, object: 'response' } };
}

describe('shared between hosts', () => {
  it('put on one host, get and delete on another; the owner is kept', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([host(prefix), host(prefix)]);
    const entry = response('client-a');
    a.store.put(entry);
    expect(await eventually(2000, () => b.store.get(entry.id), (e) => e !== undefined)).toEqual(entry);
    expect(await redisCli(redis.port, ['EXISTS', `${prefix}resp:${entry.id}`])).toBe('1');

    expect(await b.store.delete(entry.id)).toBe(true);
    expect(await b.store.get(entry.id)).toBeUndefined();
    // A made it and keeps it in memory, but hears of the delete.
    await eventually(2000, () => a.store.get(entry.id), (e) => e === undefined);
    expect(await a.store.delete(entry.id)).toBe(false);
    expect(await redisCli(redis.port, ['EXISTS', `${prefix}resp:${entry.id}`])).toBe('0');
  });

  it('expires with expiresAt, in Redis and in memory', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([host(prefix), host(prefix)]);
    const entry = response('client-a', 400);
    a.store.put(entry);
    await eventually(2000, () => b.store.get(entry.id), (e) => e !== undefined);
    const pttl = Number(await redisCli(redis.port, ['PTTL', `${prefix}resp:${entry.id}`]));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    await sleep(450);
    expect(await a.store.get(entry.id)).toBeUndefined();
    expect(await b.store.get(entry.id)).toBeUndefined();
    expect(await redisCli(redis.port, ['EXISTS', `${prefix}resp:${entry.id}`])).toBe('0');
  });

  it('prefixes keep stores apart, and unsafe ids are refused', async () => {
    const [a, b] = await Promise.all([host(`t-${randomUUID()}:`), host(`t-${randomUUID()}:`)]);
    const entry = response();
    a.store.put(entry);
    await sleep(100);
    expect(await b.store.get(entry.id)).toBeUndefined();
    expect(await a.store.get('../etc/passwd')).toBeUndefined();
  });

  it('ignores what it cannot read back', async () => {
    const prefix = `t-${randomUUID()}:`;
    const errors: Error[] = [];
    const a = await host(prefix, redis, { onError: (e) => errors.push(e) });
    await redisCli(redis.port, ['SET', `${prefix}resp:resp_bad`, '{"id":"resp_bad","owner":7}']);
    await redisCli(redis.port, ['SET', `${prefix}resp:resp_other`, JSON.stringify(response())]);
    expect(await a.store.get('resp_bad')).toBeUndefined();
    expect(await a.store.get('resp_other')).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('resp_bad'), expect.stringContaining('resp_other')]);
  });
});

describe('when Redis is slow or down', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedis();
  });
  afterAll(() => own?.stop());

  it('a recent own response is answered from memory, without waiting on a frozen Redis', async () => {
    const prefix = `t-${randomUUID()}:`;
    const a = await host(prefix, own);
    const entry = response();
    a.store.put(entry);
    await sleep(50);
    own.pause();
    try {
      const asked = Date.now();
      expect(await a.store.get(entry.id)).toEqual(entry);
      expect(Date.now() - asked).toBeLessThan(20);
      // Another id waits at most for the connection's timeout, then answers from what it has.
      const other = Date.now();
      expect(await a.store.get('resp_unknown')).toBeUndefined();
      expect(Date.now() - other).toBeLessThan(700);
    } finally {
      own.resume();
    }
  });

  it('writes and deletes made while Redis is down are made when it is back', async () => {
    const prefix = `t-${randomUUID()}:`;
    const [a, b] = await Promise.all([host(prefix, own), host(prefix, own)]);
    const gone = response();
    a.store.put(gone);
    await eventually(2000, () => b.store.get(gone.id), (e) => e !== undefined);

    await own.kill();
    await eventually(2000, async () => a.connection.up, (up) => !up);
    const kept = response('client-b');
    a.store.put(kept);
    expect(await a.store.get(kept.id)).toEqual(kept);
    const asked = Date.now();
    expect(await b.store.get(kept.id)).toBeUndefined();
    expect(Date.now() - asked).toBeLessThan(50);

    // Data is lost with the restart: what A kept is written again, and its delete goes too.
    await own.restart();
    await redisCli(own.port, ['SET', `${prefix}resp:${gone.id}`, JSON.stringify(gone)]);
    expect(await a.store.delete(gone.id)).toBe(true);
    expect(await eventually(5000, () => b.store.get(kept.id), (e) => e !== undefined)).toEqual(kept);
    await eventually(5000, () => b.store.get(gone.id), (e) => e === undefined);
    const pttl = Number(await redisCli(own.port, ['PTTL', `${prefix}resp:${kept.id}`]));
    expect(pttl).toBeGreaterThan(50_000);
  });

  it('the writes kept while down are bounded: the oldest go first', async () => {
    const prefix = `t-${randomUUID()}:`;
    const errors: Error[] = [];
    const a = await host(prefix, own, { maxPending: 2, onError: (e) => errors.push(e) });
    const b = await host(prefix, own);
    const first = response();
    a.store.put(first);
    await eventually(2000, () => b.store.get(first.id), (e) => e !== undefined);

    await own.kill();
    await eventually(2000, async () => a.connection.up, (up) => !up);
    expect(await a.store.delete(first.id)).toBe(true);
    expect(await a.store.get(first.id)).toBeUndefined();
    const [x, y, z] = [response(), response(), response()];
    for (const e of [x, y, z]) a.store.put(e);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/dropping the oldest/);

    await own.restart();
    await eventually(5000, () => b.store.get(z.id), (e) => e !== undefined);
    expect(await b.store.get(y.id)).toEqual(y);
    // The delete and x were the oldest two of four: dropped.
    expect(await b.store.get(x.id)).toBeUndefined();
  });
});
