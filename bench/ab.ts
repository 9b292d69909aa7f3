/**
 * `tsx bench/ab.ts <other checkout> [--stream] [--router]`: this checkout's host against another
 * checkout's (built; e.g. a `git worktree` of main), with the bare pass-through for scale, in
 * interleaved rounds: throughput at 32 connections and the CPU each serving process spent per
 * request, medians over the rounds. A change too small to see across two `npm run bench` runs on
 * a noisy machine shows here, since both builds face the same minutes.
 * Each line also gives the best round (most req/s, least CPU per request): noise on a shared
 * machine only slows rounds down, so on a noisy one the best rounds compare better than medians.
 * Env: AB_ROUNDS (default 5), AB_SECONDS (default 3), AB_EXTRA (config keys for this checkout's
 * host, as JSON: `{"logging":{"requests":0}}`).
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chatBody } from './body.js';
import { type Endpoint, type Throughput, throughput } from './measure.js';
import { type Child, HOST_KEY, startHost, startMock, startPassthrough } from './processes.js';

const other = process.argv[2];
if (!other || other.startsWith('--')) throw new Error('usage: tsx bench/ab.ts <other checkout> [--stream] [--router]');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const SECONDS = Number(process.env.AB_SECONDS ?? 3);
const body = chatBody('gpt-4.1', process.argv.includes('--stream'));

/** A plugins dir with the no-op router when asked for one. */
async function plugins(): Promise<string | undefined> {
  if (!process.argv.includes('--router')) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ab-'));
  await cp(new URL('./plugins/noop-router', import.meta.url).pathname, join(dir, 'noop-router'), { recursive: true });
  return dir;
}

const mock = await startMock();
const children: Child[] = [mock];
try {
  const passthrough = await startPassthrough(`${mock.url}/openai/v1`);
  const theirs = await startHost(mock.url, 18331, { plugins: await plugins(), root: resolve(other) });
  const ours = await startHost(mock.url, 18332, { plugins: await plugins(), extra: process.env.AB_EXTRA ? JSON.parse(process.env.AB_EXTRA) : undefined });
  children.push(passthrough, theirs, ours);
  const host = (url: string): Endpoint => ({ origin: url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${HOST_KEY}` } });
  const paths: [string, Endpoint, number][] = [
    ['bare pass-through', { origin: passthrough.url, path: '/v1/chat/completions', headers: {} }, passthrough.pid],
    [`other (${other})`, host(theirs.url), theirs.pid],
    ['this checkout', host(ours.url), ours.pid],
  ];
  const results = paths.map((): Throughput[] => []);
  // Round 0 warms every process up and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? [...paths.keys()].reverse() : [...paths.keys()];
    for (const i of order) {
      const [, endpoint, pid] = paths[i]!;
      const t = await throughput(endpoint, body, 32, SECONDS, pid);
      if (round > 0) results[i]!.push(t);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const passRps = median(results[0]!.map((t) => t.rps));
  for (const [i, [name]] of paths.entries()) {
    const rps = median(results[i]!.map((t) => t.rps));
    const cpu = median(results[i]!.map((t) => t.cpuUs ?? 0));
    // On a shared machine noise only ever slows a round down: the best round is the least disturbed.
    const best = Math.max(...results[i]!.map((t) => t.rps));
    const leanest = Math.min(...results[i]!.map((t) => t.cpuUs ?? Infinity));
    process.stdout.write(
      `${name.padEnd(40)} ${rps.toFixed(0).padStart(6)} req/s  ${(rps / passRps).toFixed(2)}x pass-through  ${cpu.toFixed(0).padStart(5)} CPU µs/req  (best round ${best.toFixed(0)} req/s, ${leanest.toFixed(0)} µs/req)\n`,
    );
  }
} finally {
  await Promise.all(children.map((c) => c.stop()));
}
