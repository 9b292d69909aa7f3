/**
 * The replicated store over Redis Sentinel and Redis Cluster URLs: the contract suite, and a
 * cooldown crossing from one host to another. On Cluster each credential's keys share a slot
 * (the `{c:…}` hash tag), so every script runs there unchanged, and pub/sub spans the nodes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClusterSet, type RedisSentinelSet, startRedisCluster, startSentinel } from '../../../../../test/helpers/redis-server.js';
import { within } from '../../../../../test/helpers/wait.js';
import { ReplicatedStateStore } from '../replica/replicated-store.js';
import { describeStateStoreContract } from '../store-contract.test-suite.js';
import { RedisBackend } from './backend.js';
import { connectRedis } from './connection.js';

async function replica(url: string, prefix: string): Promise<ReplicatedStateStore> {
  let backend: RedisBackend | undefined;
  const conn = await connectRedis(url, { onUp: () => backend?.linkUp(), onDown: (err) => backend?.linkDown(err) });
  backend = new RedisBackend(conn, { keyPrefix: prefix, heartbeatMs: 200 });
  return ReplicatedStateStore.open({ backend, reconcileMs: 200 });
}


for (const [name, start] of [
  ['Sentinel', () => startSentinel({ sentinels: 2, masterPassword: 'sentinel-pw' })],
  ['Cluster', () => startRedisCluster()],
] as const) {
  describe(`Redis ${name}`, () => {
    let set: RedisSentinelSet | RedisClusterSet;
    // The master's password rides in the URL, as a user would write it.
    const url = () => (name === 'Sentinel' ? set.url.replace('redis+sentinel://', 'redis+sentinel://:sentinel-pw@') : set.url);
    beforeAll(async () => {
      set = await start();
    }, 60_000);
    afterAll(() => set?.stop());

    describeStateStoreContract(`replicated over Redis ${name}`, () => replica(url(), `t-${randomUUID()}:`));

    it('a cooldown and a session made on one host are honoured by another within 100 ms', async () => {
      const prefix = `t-${randomUUID()}:`;
      const [a, b] = await Promise.all([replica(url(), prefix), replica(url(), prefix)]);
      try {
        a.setModelState('openai:k1', 'gpt-4o', { until: Date.now() + 30_000, reason: 'quota', status: 429, backoffLevel: 1 });
        a.bindSession('s', 'openai:k2', Date.now() + 60_000);
        await within(100, () => b.modelState('openai:k1', 'gpt-4o') !== undefined && b.session('s', Date.now()) === 'openai:k2');
        a.recordResult('openai:k1', true);
        b.recordResult('openai:k1', false);
        await within(2_000, () => a.counters('openai:k1').failures === 1 && b.counters('openai:k1').successes === 1);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
}
