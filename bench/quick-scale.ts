/**
 * The scale-out paths alone (not part of `npm run bench`): one host with the memory store, one
 * with the Redis store, and `--workers 2` with each store, in interleaved rounds. Besides req/s
 * and CPU per request of the whole serving process tree, it reports what the shared part costs
 * per request: the primary process of `--workers` (which holds the memory store's shared state),
 * and the Redis server. Those are the parts that do not grow with the cores, so they set the
 * ceiling in docs/BENCHMARKS.md's many-core estimate.
 *   npx tsc -b && npx tsx bench/quick-scale.ts [rounds]
 */
import { readFile } from 'node:fs/promises';
import { chatBody } from './body.js';
import { median, throughput } from './measure.js';
import { type Child, HOST_KEY, startHost, startMock, startRedisServer } from './processes.js';

/** CPU of one process (threads included, children not), ms. */
async function ownCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const rounds = Number(process.argv[2] ?? 3);
const mock = await startMock();
const redis = await startRedisServer(18479);
const shared = { store: 'redis', url: redis.url, keyPrefix: 'quick:' };
const hosts: Record<string, Child> = {
  'memory, 1 process': await startHost(mock.url, 18417),
  'redis, 1 process': await startHost(mock.url, 18418, { state: shared }),
  'memory, --workers 2': await startHost(mock.url, 18419, { workers: 2 }),
  'redis, --workers 2': await startHost(mock.url, 18420, { workers: 2, state: { ...shared, keyPrefix: 'quick2:' } }),
};
try {
  const body = chatBody('gpt-4.1', false);
  const acc: Record<string, { rps: number[]; cpu: number[]; primary: number[]; redis: number[] }> = {};
  for (let round = 0; round <= rounds; round++) {
    for (const [name, host] of Object.entries(hosts)) {
      const [primary0, redis0] = await Promise.all([ownCpuMs(host.pid), ownCpuMs(redis.pid)]);
      const t = await throughput({ origin: host.url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${HOST_KEY}` } }, body, 32, 3, host.pid);
      const [primary1, redis1] = await Promise.all([ownCpuMs(host.pid), ownCpuMs(redis.pid)]);
      // Round 0 warms up.
      if (round === 0) continue;
      const served = t.rps * 3;
      const a = (acc[name] ??= { rps: [], cpu: [], primary: [], redis: [] });
      a.rps.push(t.rps);
      a.cpu.push(t.cpuUs ?? NaN);
      a.primary.push(((primary1 - primary0) * 1000) / served);
      a.redis.push(((redis1 - redis0) * 1000) / served);
    }
  }
  console.log('| path | req/s | CPU µs/req (all processes) | of which the primary (or the one process) | Redis server µs/req |');
  console.log('|---|---|---|---|---|');
  for (const [name, a] of Object.entries(acc)) {
    console.log(`| ${name} | ${Math.round(median(a.rps))} | ${Math.round(median(a.cpu))} | ${Math.round(median(a.primary))} | ${Math.round(median(a.redis))} |`);
  }
} finally {
  await Promise.all([...Object.values(hosts).map((h) => h.stop()), mock.stop(), redis.stop()]);
}
