/**
 * Held streams: many concurrent streams through one host to a mock that paces its events, the
 * host's event loop lag and RSS read while they are all open. The streams are held the way
 * coding agents hold theirs (long-lived, mostly waiting): a second between events, about 20
 * events a stream, opened over a 10 s ramp. Part of `npm run bench`; alone:
 *   npx tsc -b && npx tsx bench/scale.ts [streams]   (env SCALE_RAMP_MS, SCALE_WORDS, SCALE_PACE_MS, SCALE_WORKERS)
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { type Child, HOST_KEY, loopLagP99Ms, startHost, startMock, treeRssMb } from './processes.js';

/** Concurrent streams one host should hold (issue 17). */
export const SCALE_TARGET = 10_000;
/** Open files a host needs besides its streams' sockets (modules, workers, the event loop, logs). */
const FD_RESERVE = 300;
/** Per host: a client socket and an upstream socket per stream, and room for the rest. */
const FD_LIMIT = 65_536;

/**
 * Raises this process's open-files limit so it and the processes it starts next (which inherit
 * it) can hold tens of thousands of sockets: the bench's limit, not the product's. Root (or
 * CAP_SYS_RESOURCE) may raise the hard limit; anyone may raise the soft one up to the hard one.
 * Returns the soft limit now in force.
 */
export function raiseFdLimit(wanted = FD_LIMIT): number {
  const set = (limits: string) => spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${limits}`]).status === 0;
  if (!set(`${wanted}:${wanted}`)) {
    const hard = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output=HARD']).stdout?.toString().trim();
    if (hard) set(`${hard}:${hard}`);
  }
  const soft = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output=SOFT']).stdout?.toString().trim();
  return soft === 'unlimited' ? Infinity : Number(soft);
}

/** How many streams to open, and why fewer than the target when so. */
export interface ScalePlan {
  streams: number;
  /** Why `streams` is below {@link SCALE_TARGET}, in plain words; absent when it is not. */
  cap?: string;
  /**
   * When the open-files limit caps one process: the fewest `serve --workers` processes that hold
   * the whole target between them (each process has a limit of its own).
   */
  workers?: number;
}

/**
 * The target, or what the open-files limit lets one host process hold ((limit - 300) / 2: a
 * client and an upstream socket per stream) when that is less; `override` (BENCH_SCALE_STREAMS)
 * wins.
 */
export function planScale(fdLimit: number, override?: number): ScalePlan {
  if (override !== undefined && override > 0) return { streams: override, ...(override < SCALE_TARGET ? { cap: `set by hand with BENCH_SCALE_STREAMS=${override}` } : {}) };
  const fits = Math.floor((fdLimit - FD_RESERVE) / 2);
  // Written so that an unknown limit (NaN: prlimit missing) does not cap.
  if (!(fits < SCALE_TARGET)) return { streams: SCALE_TARGET };
  const limit = fdLimit.toLocaleString('en');
  return {
    streams: fits,
    cap: `the open-files limit here is ${limit}, a hard limit the bench could not raise (that takes CAP_SYS_RESOURCE outside this machine's container), and one host process holds at most (${limit} − ${FD_RESERVE}) / 2 = ${fits.toLocaleString('en')} streams under it`,
    ...(fits > 0 ? { workers: Math.ceil(SCALE_TARGET / fits) } : {}),
  };
}

export interface ScaleResult {
  streams: number;
  failed: number;
  /** The first failure's message, when any. */
  firstError?: string;
  seconds: number;
  rampMs: number;
  rampLoopLagP99Ms: number;
  loopLagP99Ms: number;
  /** Highest RSS of the host (its worker processes included) seen while the streams were open, MB. */
  peakRssMb: number;
  /** SSE events the first complete stream carried. */
  eventsPerStream?: number;
}

/** A failure as one line: undici's and the socket's error codes say more than their messages. */
function describe(reason: unknown): string {
  const err = reason as { code?: string; message?: string };
  const message = err?.message ?? String(reason);
  return err?.code && !message.includes(err.code) ? `${err.code}: ${message}` : message;
}

/**
 * Opens `count` streams through the host, spread over `rampMs` (a real fleet does not arrive in
 * one millisecond), holds them all open, reads each to its end, and reads the host's event loop
 * lag p99 twice: over the ramp (until every stream has its headers) and over the hold (from
 * then until all ended). The host's RSS is sampled throughout.
 */
export async function scaleRun(host: Child, count: number, rampMs: number, words: number): Promise<ScaleResult> {
  const agent = new Agent({ connections: count + 10, keepAliveTimeout: 10_000 });
  // The mock echoes the words one event each, after a role event and before a finish event and [DONE].
  const content = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
  const body = JSON.stringify({ model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content }] });
  await loopLagP99Ms(host.url); // resets the host's lag histogram
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, await treeRssMb(host.pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let answered = 0;
  let rampLag: Promise<number> | undefined;
  let events: number | undefined;
  // Counted when a stream has its headers or has failed before them, so the ramp always ends.
  const headed = () => {
    if (++answered === count) rampLag = loopLagP99Ms(host.url).catch(() => NaN);
  };
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * rampMs) / count));
      let res;
      try {
        res = await request(`${host.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${HOST_KEY}` },
          body,
        });
      } finally {
        headed();
      }
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes('data: [DONE]')) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
      events ??= text.split('\n\n').filter((e) => e.startsWith('data: ')).length;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const holdLag = await loopLagP99Ms(host.url);
  sampling = false;
  await sampler;
  await agent.close();
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  return {
    streams: count,
    failed: failures.length,
    ...(failures.length > 0 ? { firstError: describe(failures[0]!.reason) } : {}),
    seconds,
    rampMs,
    rampLoopLagP99Ms: (await rampLag) ?? NaN,
    loopLagP99Ms: holdLag,
    peakRssMb: peakRss,
    ...(events === undefined ? {} : { eventsPerStream: events }),
  };
}

/** How the held streams are paced. */
export interface ScaleOptions {
  port: number;
  /** Over which the streams open, ms. Too short overflows the host's listen queue (511): ECONNRESET, and `nstat` counts TcpExtListenOverflows. */
  rampMs?: number;
  /** Words per stream, one event each (plus four: role, tag, finish, [DONE]). */
  words?: number;
  /** The mock's pause between events, ms. */
  paceMs?: number;
  /** `serve --workers`: the streams spread over that many processes, each with its own open-files limit. */
  workers?: number;
}

/**
 * A mock pacing its events and a fresh host; a fifth of the load first, at the same arrival
 * rate, so the stream path runs optimised (a gateway in service is warm); then `count` streams.
 */
export async function scaleBench(count: number, { port, rampMs = 10_000, words = 16, paceMs = 1000, workers }: ScaleOptions): Promise<ScaleResult & { paceMs: number }> {
  const mock = await startMock(paceMs);
  const host = await startHost(mock.url, port, workers === undefined ? {} : { workers });
  try {
    const warm = await scaleRun(host, Math.ceil(count / 5), rampMs / 5, words);
    if (warm.failed > 0) process.stderr.write(`  scale warm-up: ${warm.failed} failed (${warm.firstError})\n`);
    return { ...(await scaleRun(host, count, rampMs, words)), paceMs };
  } finally {
    await Promise.all([host.stop(), mock.stop()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const limit = raiseFdLimit();
  const plan = planScale(limit, process.argv[2] === undefined ? undefined : Number(process.argv[2]));
  process.stderr.write(`open-files limit ${limit}; ${plan.streams} streams${plan.cap ? ` (capped: ${plan.cap})` : ''}\n`);
  const env = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  console.log(await scaleBench(plan.streams, { port: 18422, rampMs: env('SCALE_RAMP_MS'), words: env('SCALE_WORDS'), paceMs: env('SCALE_PACE_MS'), workers: env('SCALE_WORKERS') }));
}
