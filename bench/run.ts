/**
 * `npm run bench`: Switchyard side by side with going direct, on this machine, in one run.
 * Prints a table and writes docs/BENCHMARKS.md (see report.ts). Usage:
 *   npm run bench                 full run (BENCH_ROUNDS, BENCH_COUNT, BENCH_SECONDS scale it)
 *   npm run bench -- --label X    also keep the results as bench/results/X.json (e.g. "before")
 *   npm run bench -- --report     only re-render docs/BENCHMARKS.md from bench/results/latest.json
 */
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { chatBody, responsesBody } from './body.js';
import { type Endpoint, type Throughput, hopFloor, sequential, summarise, throughput } from './measure.js';
import { HOST_KEY, loopLagP99Ms, rssMb, startHost, startMock, startPassthrough, startRedisServer } from './processes.js';
import { type BenchResults, type PathResult, writeReport } from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Sequential non-stream requests per path, over all rounds; streams get a quarter as many. */
const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
/** Per path, mode and round. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 32;
const SCALE_STREAMS = 1000;
const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : undefined;
const BENCH_PLUGINS = new URL('./plugins/', import.meta.url).pathname;

interface BenchPath {
  name: string;
  endpoint: Endpoint;
  /** The process that serves the path, whose CPU time is counted. */
  pid: number;
  /** The request in this path's wire format (default: Chat Completions). */
  body?: (model: string, stream: boolean) => string;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Median of each figure over the rounds (errors summed). */
function medianThroughput(rounds: readonly Throughput[]): Throughput {
  const pick = (f: (t: Throughput) => number) => median(rounds.map(f));
  return {
    rps: pick((t) => t.rps),
    p50: pick((t) => t.p50),
    p99: pick((t) => t.p99),
    errors: rounds.reduce((n, t) => n + t.errors, 0),
    non2xx: rounds.reduce((n, t) => n + t.non2xx, 0),
    cpuUs: pick((t) => t.cpuUs ?? 0),
  };
}

/**
 * Measures every path in interleaved rounds (the order reversed every other round), so the
 * machine's drift over minutes (this VM swings up to 2x) falls on every path alike instead of
 * on whichever ran last. Latency pools the samples of all rounds; throughput and CPU per request
 * are the median round.
 */
async function measurePaths(paths: readonly BenchPath[]): Promise<PathResult[]> {
  const bodies = paths.map((path) => ({ nonStream: (path.body ?? chatBody)('gpt-4.1', false), stream: (path.body ?? chatBody)('gpt-4.1', true) }));
  const acc = paths.map(() => ({ latency: [] as number[], streamLatency: [] as number[], throughput: [] as Throughput[], streamThroughput: [] as Throughput[] }));
  // V8 needs seconds of load before the hot paths are optimised: the first slices run cold.
  process.stderr.write('  warm-up...\n');
  for (const [i, path] of paths.entries()) {
    const { nonStream, stream } = bodies[i]!;
    await sequential(path.endpoint, nonStream, 300, 0);
    await throughput(path.endpoint, nonStream, CONNECTIONS, SECONDS, path.pid);
    await throughput(path.endpoint, stream, CONNECTIONS, SECONDS, path.pid);
  }
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`  round ${round + 1}/${ROUNDS}...\n`);
    const order = paths.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const { endpoint, pid } = paths[i]!;
      const { nonStream, stream } = bodies[i]!;
      acc[i]!.latency.push(...(await sequential(endpoint, nonStream, Math.round(COUNT / ROUNDS), 20)));
      acc[i]!.streamLatency.push(...(await sequential(endpoint, stream, Math.round(COUNT / 4 / ROUNDS), 5)));
      acc[i]!.throughput.push(await throughput(endpoint, nonStream, CONNECTIONS, SECONDS, pid));
      acc[i]!.streamThroughput.push(await throughput(endpoint, stream, CONNECTIONS, SECONDS, pid));
    }
  }
  return paths.map((path, i) => ({
    name: path.name,
    latency: summarise(acc[i]!.latency),
    streamLatency: summarise(acc[i]!.streamLatency),
    throughput: medianThroughput(acc[i]!.throughput),
    streamThroughput: medianThroughput(acc[i]!.streamThroughput),
  }));
}

/** A plugins dir holding the given bench plugins (copies under fresh ids when repeated). */
async function pluginsDir(names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-plugins-'));
  await mkdir(dir, { recursive: true });
  for (const name of names) await cp(join(BENCH_PLUGINS, name), join(dir, name), { recursive: true });
  return dir;
}

/**
 * Opens `count` streams through the host, spread over `rampMs` (a real fleet does not arrive in
 * one millisecond), holds them all open, and reads the host's event loop lag p99 twice: over the
 * ramp, and over the hold, from the moment the last stream got its headers until all ended.
 */
async function scaleRun(hostUrl: string, count: number, rampMs = 2000) {
  const agent = new Agent({ connections: count + 10, keepAliveTimeout: 10_000 });
  // 40 words at 150 ms an event: each stream lasts about 6 s, well past the ramp.
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const body = JSON.stringify({ model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: words }] });
  await loopLagP99Ms(hostUrl); // resets the host's lag histogram
  let open = 0;
  let rampLag = NaN;
  let allOpen: () => void;
  const opened = new Promise<void>((resolve) => (allOpen = resolve));
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * rampMs) / count));
      const res = await request(`${hostUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${HOST_KEY}` },
        body,
      });
      if (++open === count) {
        rampLag = await loopLagP99Ms(hostUrl);
        allOpen();
      }
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes('[DONE]')) throw new Error(`status ${res.statusCode}`);
    }),
  );
  await opened.catch(() => undefined);
  const seconds = (performance.now() - started) / 1000;
  const lagP99 = await loopLagP99Ms(hostUrl);
  await agent.close();
  return { streams: count, failed: results.filter((r) => r.status === 'rejected').length, seconds, rampMs, rampLoopLagP99Ms: rampLag, loopLagP99Ms: lagP99 };
}

async function main(): Promise<void> {
  const mock = await startMock();
  const passthrough = await startPassthrough(`${mock.url}/openai/v1`);
  const children = [mock, passthrough];
  try {
    const host = await startHost(mock.url, 18317);
    children.push(host);
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = await rssMb(host.pid);
    const routed = await startHost(mock.url, 18318, { plugins: await pluginsDir(['noop-router']) });
    const intercepted = await startHost(mock.url, 18319, { plugins: await pluginsDir(['noop-stream']) });
    const redis = await startRedisServer(18379);
    children.push(routed, intercepted, redis);
    const shared = await startHost(mock.url, 18323, { state: { store: 'redis', url: redis.url, keyPrefix: 'bench:' } });
    const workers = await startHost(mock.url, 18324, { workers: 2 });
    children.push(shared, workers);
    const hostEndpoint = (url: string): Endpoint => ({ origin: url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${HOST_KEY}` } });
    process.stderr.write('paths:\n');
    const paths = await measurePaths([
      { name: 'direct', endpoint: { origin: mock.url, path: '/openai/v1/chat/completions', headers: { authorization: 'Bearer bench-upstream' } }, pid: mock.pid },
      { name: 'bare pass-through', endpoint: { origin: passthrough.url, path: '/v1/chat/completions', headers: {} }, pid: passthrough.pid },
      { name: 'switchyard', endpoint: hostEndpoint(host.url), pid: host.pid },
      { name: 'switchyard + no-op router plugin', endpoint: hostEndpoint(routed.url), pid: routed.pid },
      { name: 'switchyard + stream interceptor plugin', endpoint: hostEndpoint(intercepted.url), pid: intercepted.pid },
      // The same host, with Responses clients: translated to the Chat Completions upstream and back.
      { name: 'switchyard, Responses in', endpoint: { ...hostEndpoint(host.url), path: '/v1/responses' }, pid: host.pid, body: responsesBody },
      // State shared through Redis (the store's own CPU not counted: it is another machine's in a deployment).
      { name: 'switchyard, Redis store', endpoint: hostEndpoint(shared.url), pid: shared.pid },
      // Two serving processes on this 2-core machine; CPU counts the primary and both workers.
      { name: 'switchyard --workers 2', endpoint: hostEndpoint(workers.url), pid: workers.pid },
    ]);
    await Promise.all([host.stop(), routed.stop(), intercepted.stop(), shared.stop(), workers.stop(), redis.stop()]);

    process.stderr.write('plugin hop floor...\n');
    const floor = await hopFloor({
      requestId: 'bench',
      sourceFormat: 'openai',
      requestedModel: 'gpt-4.1',
      stream: false,
      headers: { 'content-type': 'application/json', 'user-agent': 'bench', accept: '*/*', 'content-length': '2300', host: '127.0.0.1:18318' },
      query: {},
      body: JSON.parse(chatBody('gpt-4.1', false)),
      availableProviders: ['openai'],
    });

    process.stderr.write('memory...\n');
    const bare = await startHost(mock.url, 18320);
    await new Promise((r) => setTimeout(r, 1000));
    const bareRss = await rssMb(bare.pid);
    await bare.stop();
    const WORKERS = 4;
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-workers-'));
    for (let i = 0; i < WORKERS; i++) await cp(join(BENCH_PLUGINS, 'noop-router'), join(dir, `noop-${i}`), { recursive: true });
    // Each copy needs its own id: folder names differ, so drop the package's fixed id.
    for (let i = 0; i < WORKERS; i++) {
      const file = join(dir, `noop-${i}`, 'package.json');
      const pkg = JSON.parse(await readFile(file, 'utf8'));
      pkg.switchyard.id = `noop-${i}`;
      await writeFile(file, JSON.stringify(pkg));
    }
    const withWorkers = await startHost(mock.url, 18321, { plugins: dir });
    await new Promise((r) => setTimeout(r, 1500));
    const workersRss = await rssMb(withWorkers.pid);
    await withWorkers.stop();

    process.stderr.write('scale...\n');
    const slowMock = await startMock(150);
    children.push(slowMock);
    const scaleHost = await startHost(slowMock.url, 18322);
    // A fifth of the load first, so the stream path runs optimised (a gateway in service is warm).
    await scaleRun(scaleHost.url, SCALE_STREAMS / 5);
    const scale = await scaleRun(scaleHost.url, SCALE_STREAMS);
    await scaleHost.stop();

    const results: BenchResults = {
      date: new Date().toISOString(),
      label,
      rounds: ROUNDS,
      count: COUNT,
      seconds: SECONDS,
      paths,
      floor,
      memory: { idleHostMb: idleRss, hostWithoutPluginsMb: bareRss, perWorkerMb: (workersRss - bareRss) / WORKERS },
      scale,
    };
    await writeReport(results);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

if (process.argv.includes('--report')) {
  // Re-renders docs/BENCHMARKS.md from the last run (after editing bench/NOTES.md), measuring nothing.
  await writeReport(JSON.parse(await readFile(new URL('./results/latest.json', import.meta.url), 'utf8')) as BenchResults);
} else {
  await main();
}
