/**
 * Turns one bench run into the table it prints and into docs/BENCHMARKS.md, next to the runs
 * kept in bench/results/ (the "before" run of the optimisation work, for one) and the notes in
 * bench/NOTES.md (what each optimisation bought).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { HopFloor, Latency, Throughput } from './measure.js';

export interface PathResult {
  name: string;
  latency: Latency;
  streamLatency: Latency;
  throughput: Throughput;
  streamThroughput: Throughput;
}

export interface BenchResults {
  date: string;
  label?: string;
  /** Interleaved measurement rounds (absent: one block per path, the first bench's method). */
  rounds?: number;
  /** Sequential non-stream requests per path over all rounds (a quarter as many streams). */
  count?: number;
  /** Length of each throughput slice, seconds. */
  seconds?: number;
  paths: PathResult[];
  /** A bare worker round trip on this machine: what a plugin hop cannot go below. */
  floor?: HopFloor;
  memory: { idleHostMb: number; hostWithoutPluginsMb: number; perWorkerMb: number };
  scale: { streams: number; failed: number; seconds: number; rampMs?: number; rampLoopLagP99Ms?: number; loopLagP99Ms: number };
}

const ROOT = new URL('..', import.meta.url).pathname;
const ms = (us: number) => (us / 1000).toFixed(3);
const x = (n: number) => `${n.toFixed(2)}x`;
const cpu = (t: Throughput) => (t.cpuUs === undefined ? '–' : Math.round(t.cpuUs));

/** The comparison table and target checks of one run, as Markdown. */
export function tables(r: BenchResults): string {
  const byName = (n: string) => r.paths.find((p) => p.name === n)!;
  const direct = byName('direct');
  const bare = byName('bare pass-through');
  const host = byName('switchyard');
  const router = byName('switchyard + no-op router plugin');
  const streamPlugin = byName('switchyard + stream interceptor plugin');
  const rows = r.paths.map((p) =>
    [
      p.name,
      ms(p.latency.p50),
      ms(p.latency.p99),
      ms(p.latency.p50 - direct.latency.p50),
      ms(p.latency.p99 - direct.latency.p99),
      Math.round(p.throughput.rps),
      x(p.throughput.rps / direct.throughput.rps),
      x(p.throughput.rps / bare.throughput.rps),
      cpu(p.throughput),
      ms(p.streamLatency.p50),
      Math.round(p.streamThroughput.rps),
      x(p.streamThroughput.rps / direct.streamThroughput.rps),
      x(p.streamThroughput.rps / bare.streamThroughput.rps),
      cpu(p.streamThroughput),
      p.throughput.errors + p.throughput.non2xx + p.streamThroughput.errors + p.streamThroughput.non2xx,
    ].join(' | '),
  );
  const added = { p50: (host.latency.p50 - direct.latency.p50) / 1000, p99: (host.latency.p99 - direct.latency.p99) / 1000 };
  const hop = (router.latency.p50 - host.latency.p50) / 1000;
  const checks: [string, boolean, string][] = [
    ['added latency p50 <= 0.3 ms', added.p50 <= 0.3, `${added.p50.toFixed(3)} ms`],
    ['added latency p99 <= 1.5 ms', added.p99 <= 1.5, `${added.p99.toFixed(3)} ms`],
    ['throughput >= 80% of the bare pass-through', host.throughput.rps >= 0.8 * bare.throughput.rps, x(host.throughput.rps / bare.throughput.rps)],
    ['stream throughput >= 80% of the bare pass-through', host.streamThroughput.rps >= 0.8 * bare.streamThroughput.rps, x(host.streamThroughput.rps / bare.streamThroughput.rps)],
    ['no-op router plugin adds <= 0.1 ms p50', hop <= 0.1, `${hop.toFixed(3)} ms${r.floor ? ` (a bare worker round trip: ${ms(r.floor.idle)} ms)` : ''}`],
    ['idle host RSS <= 100 MB', r.memory.idleHostMb <= 100, `${r.memory.idleHostMb.toFixed(1)} MB`],
    ['RSS per plugin worker <= 15 MB', r.memory.perWorkerMb <= 15, `${r.memory.perWorkerMb.toFixed(1)} MB`],
    [`${r.scale.streams} concurrent streams, no error`, r.scale.failed === 0, `${r.scale.failed} failed`],
    ...scaleOutChecks(r, host),
    ['event loop lag p99 < 20 ms while they are held', r.scale.loopLagP99Ms < 20, `${r.scale.loopLagP99Ms.toFixed(1)} ms`],
  ];
  return [
    '| path | p50 ms | p99 ms | added p50 | added p99 | req/s (32c) | vs direct | vs pass-through | CPU µs/req | stream p50 ms | stream req/s | vs direct | vs pass-through | CPU µs/stream | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Plugin hop: a no-op router adds ${hop.toFixed(3)} ms p50 per request; a stream interceptor adds ${((streamPlugin.streamLatency.p50 - host.streamLatency.p50) / 1000).toFixed(3)} ms p50 per stream.`,
    ...(r.floor
      ? [
          `Hop floor on this machine: a bare piscina round trip (a worker that answers at once, the same router request) costs ${ms(r.floor.hot)} ms p50 back to back and ${ms(r.floor.idle)} ms p50 after ${r.floor.idleMs} ms idle, as a router is between sequential requests.`,
        ]
      : []),
    `Memory: idle host ${r.memory.idleHostMb.toFixed(1)} MB RSS; each plugin worker about ${r.memory.perWorkerMb.toFixed(1)} MB.`,
    `Scale: ${r.scale.streams} concurrent streams${r.scale.rampMs ? ` opened over ${(r.scale.rampMs / 1000).toFixed(0)} s` : ''}, ${r.scale.seconds.toFixed(1)} s in all, ${r.scale.failed} failed; host event loop lag p99 ${r.scale.loopLagP99Ms.toFixed(1)} ms while all were held open${r.scale.rampLoopLagP99Ms === undefined ? '' : ` (${r.scale.rampLoopLagP99Ms.toFixed(1)} ms during the ramp)`}.`,
    '',
    '| target | met | measured |',
    '|---|---|---|',
    ...checks.map(([name, ok, value]) => `| ${name} | ${ok ? 'yes' : 'NO'} | ${value} |`),
  ].join('\n');
}

/** The Redis store and `--workers 2` against the single memory-store host, where the run has them. */
function scaleOutChecks(r: BenchResults, host: PathResult): [string, boolean, string][] {
  const checks: [string, boolean, string][] = [];
  const ratio = (a: number, b: number) => x(a / b);
  const redis = r.paths.find((p) => p.name === 'switchyard, Redis store');
  if (redis) {
    checks.push([
      'Redis store req/s within 10% of the memory store',
      redis.throughput.rps >= 0.9 * host.throughput.rps,
      `${ratio(redis.throughput.rps, host.throughput.rps)} req/s, ${ratio(redis.throughput.cpuUs ?? NaN, host.throughput.cpuUs ?? NaN)} CPU/req; streams ${ratio(redis.streamThroughput.rps, host.streamThroughput.rps)} req/s`,
    ]);
  }
  const workers = r.paths.find((p) => p.name === 'switchyard --workers 2');
  if (workers) {
    checks.push([
      '--workers 2 vs one process (2 cores, shared with the load generator and the mock)',
      workers.throughput.rps > host.throughput.rps,
      `${ratio(workers.throughput.rps, host.throughput.rps)} req/s, ${ratio(workers.throughput.cpuUs ?? NaN, host.throughput.cpuUs ?? NaN)} CPU/req; streams ${ratio(workers.streamThroughput.rps, host.streamThroughput.rps)} req/s`,
    ]);
  }
  return checks;
}

async function versions(): Promise<string> {
  const pkg = async (name: string) => (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return `Node ${process.version}, fastify ${await pkg('fastify')}, undici ${await pkg('undici')}, piscina ${await pkg('piscina')}, autocannon ${await pkg('autocannon')}`;
}

export async function writeReport(r: BenchResults): Promise<void> {
  const resultsDir = join(ROOT, 'bench/results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  if (r.label) await writeFile(join(resultsDir, `${r.label}.json`), `${JSON.stringify(r, null, 2)}\n`);
  const current = tables(r);
  process.stdout.write(`\n${current}\n`);

  const kept: string[] = [];
  for (const file of (await readdir(resultsDir)).filter((f) => f.endsWith('.json') && f !== 'latest.json' && f !== `${r.label}.json`).sort()) {
    const old = JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as BenchResults;
    kept.push(`### ${file.replace(/\.json$/, '')} (${old.date})\n\n${tables(old)}\n`);
  }
  const notesFile = join(ROOT, 'bench/NOTES.md');
  const notes = existsSync(notesFile) ? await readFile(notesFile, 'utf8') : '';
  const doc = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench`; numbers live here and in the bench output, never in `npm test`.',
    '',
    '## Machine and method',
    '',
    `- ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${await versions()}.`,
    '- The mock upstream (test/mock-upstream), the bare pass-through (bench/passthrough.ts), each host and the load generator run as separate processes on the same two cores, all on loopback: the load generator competes with what it measures, so every figure is conservative.',
    '- Request: a system prompt and a 2 KB user message (bench/body.ts); the mock echoes it, so answers are about 2 KB too, and streams carry one word per SSE event (about 300 events).',
    `- Rounds: every path is up for the whole run and measured in ${r.rounds ?? 1} interleaved round(s), the order reversed every other round, after a warm-up; this VM's speed drifts by up to 2x over minutes, and interleaving spreads the drift over all paths instead of loading it on whichever ran last.`,
    `- Latency: requests one after another on one keep-alive connection (${(r.count ?? 2000).toLocaleString('en')} non-stream and ${((r.count ?? 2000) / 4).toLocaleString('en')} stream requests per path over the rounds), read to the end; percentiles pool every round's samples; "added" is a path minus direct, at the same percentile. Throughput: autocannon, 32 connections, ${r.seconds ?? 3} s per path, mode and round, the median round reported. CPU µs/req: user + system time of the process serving the path (mock, pass-through or host, plugin workers included) over a throughput slice, divided by the requests it served: steadier than req/s on a shared machine.`,
    '- Memory: VmRSS of a fresh host after 1 s idle; per plugin worker, the RSS difference with four no-op router plugins, divided by four.',
    '- Scale: 1,000 streaming requests through one host to a mock pacing 150 ms between events (about 6 s a stream), opened over 2 s and then all held open, after a warm-up of 200 such streams; the host\'s own event loop lag p99 comes from its /metrics, read once when the last stream opened (the ramp) and again when all ended (the hold).',
    '',
    `## Latest run (${r.date}${r.label ? `, ${r.label}` : ''})`,
    '',
    current,
    '',
    notes,
    kept.length > 0 ? `## Earlier runs\n\n${kept.join('\n')}` : '',
  ].join('\n');
  await writeFile(join(ROOT, 'docs/BENCHMARKS.md'), `${doc.trim()}\n`);
}

