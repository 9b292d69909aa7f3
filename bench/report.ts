/**
 * Turns one bench run into the table it prints and into docs/BENCHMARKS.md, next to the runs
 * kept in bench/results/ (the "before" run of the optimisation work, for one) and the notes in
 * bench/NOTES.md (what each optimisation bought).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ratio, targetChecks, times, whole } from './checks.js';
import { BARE_HOP_PATH } from './paths.js';
import type { HopFloor, Latency, Throughput } from './measure.js';

export interface PathResult {
  name: string;
  latency: Latency;
  streamLatency: Latency;
  throughput: Throughput;
  streamThroughput: Throughput;
  /**
   * Each round's own figures, in round order (absent before the thirteenth session of issue 17):
   * p50 µs of its sequential requests and CPU µs per request of its throughput slices, so that a
   * later look can pair paths round by round.
   */
  rounds?: { latencyP50: number[]; cpuUs: number[]; streamCpuUs: number[] };
}

/** One run of held streams (bench/scale.ts); fields after `loopLagP99Ms` are absent from older runs. */
export interface ScaleResults {
  streams: number;
  failed: number;
  seconds: number;
  rampMs?: number;
  rampLoopLagP99Ms?: number;
  loopLagP99Ms: number;
  /** The first failure's message. */
  firstError?: string;
  /** Highest host RSS seen while the streams were open, MB. */
  peakRssMb?: number;
  eventsPerStream?: number;
  /** The mock's pause between events, ms (older runs: 150). */
  paceMs?: number;
  /** The streams the target asks for. */
  target?: number;
  /** The open-files limit in force for the run. */
  fdLimit?: number;
  /** Why fewer streams than `target` were opened, when so. */
  cap?: string;
  /** The host's processes (`serve --workers`); absent for one. Lag is then the worst process's, RSS their sum. */
  workers?: number;
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
  /** Unmeasured load before each throughput slice, seconds (absent: none, the method before the twelfth session of issue 17). */
  settleSeconds?: number;
  /** Whether the same settling load also came before each round's latency requests (from the thirteenth session of issue 17). */
  settledLatency?: boolean;
  /** Sequential requests a path got at a time, every path asked in turns within a round (absent: all of a round's at once). */
  latencyTurn?: number;
  paths: PathResult[];
  /** A bare worker round trip on this machine: what a plugin hop cannot go below. */
  floor?: HopFloor;
  memory: { idleHostMb: number; hostWithoutPluginsMb: number; perWorkerMb: number };
  scale: ScaleResults;
  /** The whole target through one `serve --workers` host, when the open-files limit capped `scale`. */
  scaleWorkers?: ScaleResults;
}

const ROOT = new URL('..', import.meta.url).pathname;
const ms = (us: number) => (us / 1000).toFixed(3);

/** The held-streams run in one sentence. */
function scaleLine(s: ScaleResults): string {
  const pacing = `${s.paceMs === undefined ? '' : ` to a mock pacing ${whole(s.paceMs)} ms between events`}${s.eventsPerStream === undefined ? '' : ` (${s.eventsPerStream} events a stream)`}`;
  return (
    `Scale${s.workers ? ` through one \`serve --workers ${s.workers}\` host` : ''}: ${whole(s.streams)} concurrent streams${s.cap ? ` (fewer than ${whole(s.target)}: ${s.cap})` : ''}${s.rampMs ? ` opened over ${(s.rampMs / 1000).toFixed(0)} s` : ''}${pacing}, ` +
    `${s.seconds.toFixed(1)} s in all, ${whole(s.failed)} failed${s.firstError ? ` (first: ${s.firstError})` : ''}; host event loop lag p99 ${s.loopLagP99Ms.toFixed(1)} ms while all were held open` +
    `${s.rampLoopLagP99Ms === undefined ? '' : ` (${s.rampLoopLagP99Ms.toFixed(1)} ms during the ramp)`}${s.peakRssMb === undefined ? '' : `; peak host RSS ${whole(s.peakRssMb)} MB`}.`
  );
}

/** The comparison table and target checks of one run, as Markdown. */
export function tables(r: BenchResults): string {
  const byName = (n: string) => r.paths.find((p) => p.name === n)!;
  const direct = byName('direct');
  const bare = byName('bare pass-through');
  const host = byName('switchyard');
  const router = byName('switchyard + no-op router plugin');
  const streamPlugin = byName('switchyard + stream interceptor plugin');
  const bareHop = r.paths.find((p) => p.name === BARE_HOP_PATH);
  const rows = r.paths.map((p) =>
    [
      p.name,
      ms(p.latency.p50),
      ms(p.latency.p99),
      ms(p.latency.p50 - direct.latency.p50),
      ms(p.latency.p99 - direct.latency.p99),
      whole(p.throughput.rps),
      times(ratio(p.throughput.rps, direct.throughput.rps)),
      times(ratio(p.throughput.rps, bare.throughput.rps)),
      whole(p.throughput.cpuUs),
      times(ratio(p.throughput.cpuUs, bare.throughput.cpuUs)),
      ms(p.streamLatency.p50),
      whole(p.streamThroughput.rps),
      times(ratio(p.streamThroughput.rps, direct.streamThroughput.rps)),
      times(ratio(p.streamThroughput.rps, bare.streamThroughput.rps)),
      whole(p.streamThroughput.cpuUs),
      times(ratio(p.streamThroughput.cpuUs, bare.streamThroughput.cpuUs)),
      p.throughput.errors + p.throughput.non2xx + p.streamThroughput.errors + p.streamThroughput.non2xx,
    ].join(' | '),
  );
  const hop = (router.latency.p50 - host.latency.p50) / 1000;
  return [
    '| path | p50 ms | p99 ms | added p50 | added p99 | req/s (32c) | vs direct | vs pass-through | CPU µs/req | CPU vs pass-through | stream p50 ms | stream req/s | vs direct | vs pass-through | CPU µs/stream | CPU vs pass-through | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Plugin hop: a no-op router adds ${hop.toFixed(3)} ms p50 per request; a stream interceptor adds ${((streamPlugin.streamLatency.p50 - host.streamLatency.p50) / 1000).toFixed(3)} ms p50 per stream.`,
    ...(r.floor
      ? [
          `Hop floor on this machine: a bare piscina round trip (a worker that answers at once, the same router request) costs ${ms(r.floor.hot)} ms p50 back to back and ${ms(r.floor.idle)} ms p50 after ${r.floor.idleMs} ms idle in a process that does nothing else.`,
        ]
      : []),
    ...(bareHop ? [`In a serving process (the pass-through making it before each request) the same round trip adds ${((bareHop.latency.p50 - bare.latency.p50) / 1000).toFixed(3)} ms p50: the floor the router hop is held to.`] : []),
    `Memory: idle host ${r.memory.idleHostMb.toFixed(1)} MB RSS; each plugin worker about ${r.memory.perWorkerMb.toFixed(1)} MB.`,
    scaleLine(r.scale),
    ...(r.scaleWorkers ? [scaleLine(r.scaleWorkers)] : []),
    '',
    '| target | met | measured |',
    '|---|---|---|',
    ...targetChecks(r).map(([name, met, value]) => `| ${name} | ${met === undefined ? '–' : met === true ? 'yes' : met === false ? 'NO' : met} | ${value} |`),
  ].join('\n');
}

/** The versions the figures depend on. */
async function versions(): Promise<string> {
  const pkg = async (name: string) => (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return `Node ${process.version}, fastify ${await pkg('fastify')}, undici ${await pkg('undici')}, piscina ${await pkg('piscina')}, autocannon ${await pkg('autocannon')}`;
}

/** The 'Machine and method' bullet of the held streams, as the run measured them. */
function scaleMethod(s: ScaleResults, workers?: ScaleResults): string {
  if (s.paceMs === undefined) {
    // Runs before issue 17's held streams: 1,000 short streams, fast events.
    return "- Scale: 1,000 streaming requests through one host to a mock pacing 150 ms between events (about 6 s a stream), opened over 2 s and then all held open, after a warm-up of 200 such streams; the host's own event loop lag p99 comes from its /metrics, read once when the last stream opened (the ramp) and again when all ended (the hold).";
  }
  return [
    `- Scale: ${whole(s.streams)} streams held through one host (bench/scale.ts), the way coding agents hold theirs, long-lived and mostly waiting:`,
    `the mock pauses ${whole(s.paceMs)} ms between events, ${s.eventsPerStream ?? '–'} events a stream, and the streams open over ${((s.rampMs ?? 0) / 1000).toFixed(0)} s`,
    `(spread out as a fleet of agents arrives, not in one millisecond), after a warm-up with a fifth as many at the same rate.`,
    `(At a 150 ms pace, 10,000 streams would be 66,000 events a second on two cores shared with the mock and the load generator: a measure of the machine, not of the host.)`,
    `Each stream holds a client socket and an upstream socket in the host, so a host process holds at most (open-files limit − 300) / 2 streams; the bench raises its limit as far as the machine lets before it starts any process${s.fdLimit === undefined ? '' : ` (here ${whole(s.fdLimit)})`},`,
    `and every process inherits it.${s.cap ? ` This run opened ${whole(s.streams)}, not ${whole(s.target)}: ${s.cap}.` : ''}`,
    `The host's own event loop lag p99 comes from its /metrics, read once when the last stream has its headers (the ramp) and again when all have ended (the hold); its RSS is sampled every 250 ms, the peak reported.`,
    ...(workers
      ? [
          'Where the limit caps one process, the bench also opens the whole target through one `serve --workers N` host (N the fewest processes that fit; the cluster hands each connection to the next worker, and each worker process has a limit of its own):',
          "that host's lag p99 is its worst process's (its /metrics takes the maximum across processes) and its RSS the sum of the primary's and every worker's.",
        ]
      : []),
  ].join(' ');
}

/** Prints the run's tables and writes bench/results/latest.json (and `<label>.json`) and docs/BENCHMARKS.md with the kept runs and notes. */
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
    '- Request: a system prompt and a 2 KB user message (bench/body.ts), as a Chat Completions, Responses or Anthropic Messages body by path; the mock echoes it, so answers are about 2 KB too, and streams carry one word per SSE event (about 300 events).',
    '- Paths: direct (the mock itself), the bare pass-through, the bare pass-through making one bare worker round trip (a piscina worker answering the router request at once) before each request, the floor of a plugin hop in a serving process, and hosts (each path a host process of its own since the thirteenth session of issue 17; before it, the plain host also served the Responses-in and Anthropic-in paths): plain; with a no-op router plugin; with a no-op stream interceptor plugin (which sees every event; one worker call per burst of upstream reads since protocol 1.2); asked in the Responses API (translated to the Chat Completions upstream and back; `store` left at its default, true, so every answer is also kept for `previous_response_id`); asked in Anthropic Messages for gpt-4.1 (translated to the Chat Completions upstream and back); a host whose one provider is Anthropic, asked in the Responses API for claude-sonnet-4-6 (translated to Anthropic Messages and back, `store` as before); with the Redis store; with `--workers 2`. Before measuring, one request and one stream on every path must answer 200 with the right content type, from the right upstream (the mock tags its answer with its format and model), in the client\'s format, a stream ending with its format\'s last event; otherwise the bench stops.',
    `- Rounds: every path is up for the whole run and measured in ${r.rounds ?? 1} interleaved round(s), the order reversed every other round, after a warm-up; this VM's speed drifts by up to 2x over minutes, and interleaving spreads the drift over all paths instead of loading it on whichever ran last.`,
    `- Latency: requests one after another on one keep-alive connection (${(r.count ?? 2000).toLocaleString('en')} non-stream and ${((r.count ?? 2000) / 4).toLocaleString('en')} stream requests per path over the rounds), read to the end${r.latencyTurn ? `, every path asked in turns of ${r.latencyTurn} requests (streams ${r.latencyTurn / 4}) within a round, so that a swing of the machine falls on all of them alike` : ''}; percentiles pool every round's samples; "added" is a path minus direct, at the same percentile${r.settledLatency && r.settleSeconds ? `; each round's requests come after ${r.settleSeconds} s of the same load that is not measured, so that every process is asked in the same state (one that has just served another path answers its next sequential requests 100–250 µs sooner than one that sat out the round; bench/NOTES.md, thirteenth session)` : ''}. Throughput: autocannon, 32 connections, ${r.seconds ?? 3} s per path, mode and round${r.settleSeconds ? `, each slice after ${r.settleSeconds} s of the same load that is not measured (a process idle between its turns spends its first second back regrowing its young generation and re-optimising; bench/NOTES.md, eleventh session)` : ''}, the median round reported. CPU µs/req: user + system time of the process serving the path (mock, pass-through or host, plugin workers included) over a throughput slice, divided by the requests it served: steadier than req/s on a shared machine.`,
    '- Memory: VmRSS of a fresh host after 1 s idle; per plugin worker, the RSS difference with four no-op router plugins, divided by four.',
    scaleMethod(r.scale, r.scaleWorkers),
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

