/**
 * The targets a bench run is checked against (issue 17's among them), each as a ratio or a
 * difference within the one run, so the machine's speed that day cancels out. A run that lacks a
 * figure (an older results file, a path it did not have) gets '–', never a verdict.
 */
import { BARE_HOP_PATH } from './paths.js';
import type { BenchResults, PathResult, ScaleResults } from './report.js';

/**
 * One target: its name, whether the run met it (undefined: the run has no figure for it; a string:
 * met with a qualification), and what was measured.
 */
export type Check = [name: string, met: boolean | string | undefined, measured: string];

/** Paths whose requests and answers are translated between wire formats. */
export const TRANSLATED_PATHS = ['switchyard, Responses in', 'switchyard, Anthropic in → OpenAI upstream', 'switchyard, Responses in → Anthropic upstream'];

/** a / b when both are real figures and b is not 0. */
export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : undefined;
/** `1.23x`, or '–' for no figure. */
export const times = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(2)}x`);
/** Rounded and grouped (`1,234`), or '–' for no figure. */
export const whole = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en'));
const atMost = (n: number | undefined, max: number) => (n === undefined ? undefined : n <= max);
const ms = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(digits)} ms`);

/** CPU per request of a path against the bare pass-through's, non-stream and stream, with the req/s ratios beside. */
function cpuCheck(name: string, path: PathResult | undefined, bare: PathResult, max: number): Check {
  if (!path) return [name, undefined, '– (not in this run)'];
  const modes = [
    ['non-stream', path.throughput, bare.throughput],
    ['stream', path.streamThroughput, bare.streamThroughput],
  ] as const;
  const cpu = modes.map(([, t, b]) => ratio(t.cpuUs, b.cpuUs));
  const measured = modes
    .map(([mode, t, b], i) => `${mode} ${times(cpu[i])} CPU (${whole(t.cpuUs)} vs ${whole(b.cpuUs)} µs), ${times(ratio(t.rps, b.rps))} req/s`)
    .join('; ');
  return [name, cpu.includes(undefined) ? undefined : cpu.every((c) => c! <= max), measured];
}

/** Which floor the router hop's budget stands on, and the standalone one beside it when both were measured. */
function floorText(floorMs: number, inServer: boolean, standalone: BenchResults['floor']): string {
  const idle = standalone && `the round trip after ${standalone.idleMs} ms idle`;
  if (!inServer) return `${idle}, ${ms(floorMs, 3)}, + 0.1 ms`;
  return `the bare hop in a serving process, ${ms(floorMs, 3)}, + 0.1 ms${standalone ? `; standalone, ${idle}: ${ms(standalone.idle / 1000, 3)}` : ''}`;
}

/** Every target of the run, in the order the report lists them. */
export function targetChecks(r: BenchResults): Check[] {
  const byName = (n: string) => r.paths.find((p) => p.name === n);
  const direct = byName('direct')!;
  const bare = byName('bare pass-through')!;
  const host = byName('switchyard')!;
  const router = byName('switchyard + no-op router plugin')!;
  const streamPlugin = byName('switchyard + stream interceptor plugin')!;
  const added = { p50: (host.latency.p50 - direct.latency.p50) / 1000, p99: (host.latency.p99 - direct.latency.p99) / 1000 };
  const hop = (router.latency.p50 - host.latency.p50) / 1000;
  // The floor where a router runs: the same round trip made by a serving process between its
  // requests (older runs lack that path: their floor is the standalone one, measured after 1 ms idle).
  const bareHop = byName(BARE_HOP_PATH);
  const floorMs = bareHop ? (bareHop.latency.p50 - bare.latency.p50) / 1000 : r.floor && r.floor.idle / 1000;
  const hopBudget = floorMs === undefined ? undefined : floorMs + 0.1;
  const interceptor = ratio(streamPlugin.streamThroughput.cpuUs, host.streamThroughput.cpuUs);
  return [
    ['added latency p50 <= 0.3 ms', added.p50 <= 0.3, ms(added.p50, 3)],
    ['added latency p99 <= 1.5 ms', added.p99 <= 1.5, ms(added.p99, 3)],
    ['throughput >= 80% of the bare pass-through', host.throughput.rps >= 0.8 * bare.throughput.rps, times(ratio(host.throughput.rps, bare.throughput.rps))],
    ['stream throughput >= 80% of the bare pass-through', host.streamThroughput.rps >= 0.8 * bare.streamThroughput.rps, times(ratio(host.streamThroughput.rps, bare.streamThroughput.rps))],
    cpuCheck("host CPU per request and per stream <= 1.3x the bare pass-through's, same format", host, bare, 1.3),
    ...TRANSLATED_PATHS.map((name) => cpuCheck(`host CPU per request and per stream <= 1.6x the bare pass-through's, ${name.replace('switchyard, ', '')}`, byName(name), bare, 1.6)),
    [
      'no-op router plugin adds <= a bare worker round trip + 0.1 ms p50',
      hopBudget === undefined ? undefined : hop <= hopBudget,
      `${ms(hop, 3)}${hopBudget === undefined ? '' : ` (budget ${ms(hopBudget, 3)}: ${floorText(floorMs!, bareHop !== undefined, r.floor)})`}`,
    ],
    [
      'stream interceptor plugin: CPU per ~300-event stream <= 1.5x without it',
      atMost(interceptor, 1.5),
      `${times(interceptor)} (${whole(streamPlugin.streamThroughput.cpuUs)} vs ${whole(host.streamThroughput.cpuUs)} µs per stream), ${times(ratio(streamPlugin.streamThroughput.rps, host.streamThroughput.rps))} streams/s`,
    ],
    ['idle host RSS <= 100 MB', r.memory.idleHostMb <= 100, `${r.memory.idleHostMb.toFixed(1)} MB`],
    ['RSS per plugin worker <= 15 MB', r.memory.perWorkerMb <= 15, `${r.memory.perWorkerMb.toFixed(1)} MB`],
    ...scaleOutChecks(r, host),
    ...scaleChecks(r.scale),
    ...(r.scaleWorkers ? scaleChecks(r.scaleWorkers) : []),
  ];
}

/** The Redis store and `--workers 2` against the single memory-store host, where the run has them. */
function scaleOutChecks(r: BenchResults, host: PathResult): Check[] {
  const checks: Check[] = [];
  const redis = r.paths.find((p) => p.name === 'switchyard, Redis store');
  if (redis) {
    checks.push([
      'Redis store req/s within 10% of the memory store',
      redis.throughput.rps >= 0.9 * host.throughput.rps,
      `${times(ratio(redis.throughput.rps, host.throughput.rps))} req/s, ${times(ratio(redis.throughput.cpuUs, host.throughput.cpuUs))} CPU/req; streams ${times(ratio(redis.streamThroughput.rps, host.streamThroughput.rps))} req/s`,
    ]);
  }
  const workers = r.paths.find((p) => p.name === 'switchyard --workers 2');
  if (workers) {
    checks.push([
      '--workers 2 vs one process (2 cores, shared with the load generator and the mock)',
      workers.throughput.rps > host.throughput.rps,
      `${times(ratio(workers.throughput.rps, host.throughput.rps))} req/s, ${times(ratio(workers.throughput.cpuUs, host.throughput.cpuUs))} CPU/req; streams ${times(ratio(workers.streamThroughput.rps, host.streamThroughput.rps))} req/s`,
    ]);
  }
  return checks;
}

/** Held streams: all of them served, the event loop's lag and the host's RSS while they were open. */
function scaleChecks(s: ScaleResults): Check[] {
  const streamsWanted = s.target ?? s.streams;
  const through = s.workers ? `one \`serve --workers ${s.workers}\` host` : 'one host';
  return [
    [
      `${whole(streamsWanted)} concurrent streams held through ${through}, no error`,
      s.failed > 0 ? false : s.streams < streamsWanted ? `yes, at ${whole(s.streams)}` : true,
      `${whole(s.streams)} streams${s.cap ? ` (capped: ${s.cap})` : ''}, ${whole(s.failed)} failed${s.firstError ? ` (first: ${s.firstError})` : ''}`,
    ],
    [
      `event loop lag p99 < 50 ms while they are held${s.workers ? ' (the worst process)' : ''}`,
      s.loopLagP99Ms < 50,
      `${ms(s.loopLagP99Ms)}${s.rampLoopLagP99Ms === undefined ? '' : ` (${ms(s.rampLoopLagP99Ms)} during the ramp)`}`,
    ],
    [
      `host RSS < 1.5 GB with them open${s.workers ? ' (all its processes)' : ''}`,
      s.peakRssMb === undefined ? undefined : s.peakRssMb < 1536,
      s.peakRssMb === undefined ? '–' : `peak ${whole(s.peakRssMb)} MB`,
    ],
  ];
}
