/**
 * `npm run bench`: Switchyard side by side with going direct, on this machine, in one run.
 * Prints a table and writes docs/BENCHMARKS.md (see report.ts). Usage:
 *   npm run bench                 full run
 *   npm run bench -- --label X    also keep the results as bench/results/X.json (e.g. "before")
 */
import { cp, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { chatBody } from './body.js';
import { type Endpoint, sequential, throughput } from './measure.js';
import { HOST_KEY, loopLagP99Ms, rssMb, startHost, startMock, startPassthrough } from './processes.js';
import { type BenchResults, type PathResult, writeReport } from './report.js';

const SEQUENTIAL = { count: Number(process.env.BENCH_COUNT ?? 2000), warmup: 300 };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;
const SCALE_STREAMS = 1000;
const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : undefined;
const BENCH_PLUGINS = new URL('./plugins/', import.meta.url).pathname;

async function measurePath(name: string, endpoint: Endpoint): Promise<PathResult> {
  process.stderr.write(`  ${name}...\n`);
  const nonStream = chatBody('gpt-4.1', false);
  const stream = chatBody('gpt-4.1', true);
  return {
    name,
    latency: await sequential(endpoint, nonStream, SEQUENTIAL.count, SEQUENTIAL.warmup),
    streamLatency: await sequential(endpoint, stream, Math.round(SEQUENTIAL.count / 4), SEQUENTIAL.warmup / 4),
    throughput: await throughput(endpoint, nonStream, CONNECTIONS, SECONDS),
    streamThroughput: await throughput(endpoint, stream, CONNECTIONS, SECONDS),
  };
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
    process.stderr.write('paths:\n');
    const paths: PathResult[] = [];
    paths.push(await measurePath('direct', { origin: mock.url, path: '/openai/v1/chat/completions', headers: { authorization: 'Bearer bench-upstream' } }));
    paths.push(await measurePath('bare pass-through', { origin: passthrough.url, path: '/v1/chat/completions', headers: {} }));
    const hostEndpoint = (url: string): Endpoint => ({ origin: url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${HOST_KEY}` } });

    const host = await startHost(mock.url, 18317);
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = await rssMb(host.pid);
    paths.push(await measurePath('switchyard', hostEndpoint(host.url)));
    await host.stop();

    const routed = await startHost(mock.url, 18318, await pluginsDir(['noop-router']));
    paths.push(await measurePath('switchyard + no-op router plugin', hostEndpoint(routed.url)));
    await routed.stop();

    const intercepted = await startHost(mock.url, 18319, await pluginsDir(['noop-stream']));
    paths.push(await measurePath('switchyard + stream interceptor plugin', hostEndpoint(intercepted.url)));
    await intercepted.stop();

    process.stderr.write('memory...\n');
    const bare = await startHost(mock.url, 18320);
    await new Promise((r) => setTimeout(r, 1000));
    const bareRss = await rssMb(bare.pid);
    await bare.stop();
    const WORKERS = 4;
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-workers-'));
    for (let i = 0; i < WORKERS; i++) await cp(join(BENCH_PLUGINS, 'noop-router'), join(dir, `noop-${i}`), { recursive: true });
    // Each copy needs its own id: folder names differ, so drop the package's fixed id.
    const { readFile, writeFile } = await import('node:fs/promises');
    for (let i = 0; i < WORKERS; i++) {
      const file = join(dir, `noop-${i}`, 'package.json');
      const pkg = JSON.parse(await readFile(file, 'utf8'));
      pkg.switchyard.id = `noop-${i}`;
      await writeFile(file, JSON.stringify(pkg));
    }
    const withWorkers = await startHost(mock.url, 18321, dir);
    await new Promise((r) => setTimeout(r, 1500));
    const workersRss = await rssMb(withWorkers.pid);
    await withWorkers.stop();

    process.stderr.write('scale...\n');
    const slowMock = await startMock(150);
    children.push(slowMock);
    const scaleHost = await startHost(slowMock.url, 18322);
    const scale = await scaleRun(scaleHost.url, SCALE_STREAMS);
    await scaleHost.stop();

    const results: BenchResults = {
      date: new Date().toISOString(),
      label,
      paths,
      memory: { idleHostMb: idleRss, hostWithoutPluginsMb: bareRss, perWorkerMb: (workersRss - bareRss) / WORKERS },
      scale,
    };
    await writeReport(results);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

await main();
