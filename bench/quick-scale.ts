/**
 * A quick look at the scale-out paths alone (not part of `npm run bench`): one host with the
 * memory store, with the Redis store, and `--workers 2`, measured in interleaved rounds.
 *   npx tsx bench/quick-scale.ts [rounds]
 */
import { chatBody } from './body.js';
import { throughput } from './measure.js';
import { HOST_KEY, startHost, startMock, startRedisServer } from './processes.js';

const rounds = Number(process.argv[2] ?? 3);
const mock = await startMock();
const redis = await startRedisServer(18479);
const hosts = {
  memory: await startHost(mock.url, 18417),
  redis: await startHost(mock.url, 18418, { state: { store: 'redis', url: redis.url, keyPrefix: 'quick:' } }),
  workers2: await startHost(mock.url, 18419, { workers: 2 }),
};
try {
  const body = chatBody('gpt-4.1', false);
  const acc: Record<string, { rps: number[]; cpu: number[] }> = {};
  for (let round = 0; round < rounds + 1; round++) {
    for (const [name, host] of Object.entries(hosts)) {
      const t = await throughput({ origin: host.url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${HOST_KEY}` } }, body, 32, 3, host.pid);
      // Round 0 warms up.
      if (round === 0) continue;
      (acc[name] ??= { rps: [], cpu: [] }).rps.push(t.rps);
      acc[name].cpu.push(t.cpuUs ?? NaN);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, a] of Object.entries(acc)) console.log(`${name.padEnd(10)} req/s ${Math.round(median(a.rps))}  CPU µs/req ${Math.round(median(a.cpu))}`);
} finally {
  await Promise.all([...Object.values(hosts).map((h) => h.stop()), mock.stop(), redis.stop()]);
}
