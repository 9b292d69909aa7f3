/**
 * `npm run bench`: Switchyard side by side with going direct, on this machine, in one run.
 * Prints a table and writes docs/BENCHMARKS.md (see report.ts). Usage:
 *   npm run bench                 full run (BENCH_ROUNDS, BENCH_COUNT, BENCH_SECONDS, BENCH_SETTLE_SECONDS scale it;
 *                                 BENCH_SCALE_STREAMS sets the held streams' count)
 *   npm run bench -- --label X    also keep the results as bench/results/X.json (e.g. "before")
 *   npm run bench -- --report     only re-render docs/BENCHMARKS.md from bench/results/latest.json
 * BENCH_NO_REPORT=1 prints the tables and writes nothing: for quick runs of the bench itself.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatBody } from './body.js';
import { hopFloor } from './measure.js';
import { TURN, measurePaths, smokeTest, startPaths } from './paths.js';
import { type Child, rssMb, startHost, startMock, startPassthrough } from './processes.js';
import { type BenchResults, tables, writeReport } from './report.js';
import { SCALE_TARGET, planScale, raiseFdLimit, scaleBench } from './scale.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Sequential non-stream requests per path, over all rounds; streams get a quarter as many. */
const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
/** Per path, mode and round. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Unmeasured load before each round's latency requests and each throughput slice (see `Plan.settleSeconds`). */
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 1);
const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : undefined;

/** RSS of a host without plugins and with four no-op routers: what one plugin worker costs. */
async function workerMemory(mockUrl: string): Promise<{ hostWithoutPluginsMb: number; perWorkerMb: number }> {
  const bare = await startHost(mockUrl, 18320);
  await new Promise((r) => setTimeout(r, 1000));
  const hostWithoutPluginsMb = await rssMb(bare.pid);
  await bare.stop();
  const WORKERS = 4;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-workers-'));
  for (let i = 0; i < WORKERS; i++) {
    await cp(new URL('./plugins/noop-router', import.meta.url).pathname, join(dir, `noop-${i}`), { recursive: true });
    // Each copy needs its own id: folder names differ, so drop the package's fixed id.
    const file = join(dir, `noop-${i}`, 'package.json');
    const pkg = JSON.parse(await readFile(file, 'utf8'));
    pkg.switchyard.id = `noop-${i}`;
    await writeFile(file, JSON.stringify(pkg));
  }
  const withWorkers = await startHost(mockUrl, 18321, { plugins: dir });
  await new Promise((r) => setTimeout(r, 1500));
  const workersRss = await rssMb(withWorkers.pid);
  await withWorkers.stop();
  return { hostWithoutPluginsMb, perWorkerMb: (workersRss - hostWithoutPluginsMb) / WORKERS };
}

async function main(): Promise<void> {
  // Before any child starts, so every host, mock and the load generator inherit the raised limit.
  const fdLimit = raiseFdLimit();
  const scalePlan = planScale(fdLimit, process.env.BENCH_SCALE_STREAMS ? Number(process.env.BENCH_SCALE_STREAMS) : undefined);
  const mock = await startMock();
  const passthrough = await startPassthrough(`${mock.url}/openai/v1`);
  const passthroughHop = await startPassthrough(`${mock.url}/openai/v1`, true);
  const children: Child[] = [mock, passthrough, passthroughHop];
  try {
    const started = await startPaths(mock, passthrough, passthroughHop);
    children.push(...started.children);
    process.stderr.write('smoke test...\n');
    await smokeTest(started.paths);
    process.stderr.write('paths:\n');
    const paths = await measurePaths(started.paths, { rounds: ROUNDS, count: COUNT, seconds: SECONDS, settleSeconds: SETTLE_SECONDS });
    await Promise.all(started.children.map((c) => c.stop()));

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
    const memory = { idleHostMb: started.idleHostMb, ...(await workerMemory(mock.url)) };

    process.stderr.write(`scale: ${scalePlan.streams} held streams${scalePlan.cap ? ` (capped: ${scalePlan.cap})` : ''}...\n`);
    const scale = { ...(await scaleBench(scalePlan.streams, { port: 18322 })), target: SCALE_TARGET, fdLimit, ...(scalePlan.cap ? { cap: scalePlan.cap } : {}) };
    // One process cannot hold the target here: the whole target through one `serve --workers` host too.
    let scaleWorkers: BenchResults['scaleWorkers'];
    if (scalePlan.workers) {
      process.stderr.write(`scale: ${SCALE_TARGET} held streams through serve --workers ${scalePlan.workers}...\n`);
      scaleWorkers = { ...(await scaleBench(SCALE_TARGET, { port: 18323, workers: scalePlan.workers })), target: SCALE_TARGET, fdLimit, workers: scalePlan.workers };
    }

    const results: BenchResults = { date: new Date().toISOString(), label, rounds: ROUNDS, count: COUNT, seconds: SECONDS, settleSeconds: SETTLE_SECONDS, settledLatency: true, latencyTurn: TURN, paths, floor, memory, scale, ...(scaleWorkers ? { scaleWorkers } : {}) };
    if (process.env.BENCH_NO_REPORT) process.stdout.write(`\n${tables(results)}\n`);
    else await writeReport(results);
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
