/**
 * Held streams: many concurrent streams through one host to a mock that paces its events, the
 * host's event loop lag and RSS read while they are all open. Part of `npm run bench`; alone:
 *   npx tsc -b && npx tsx bench/scale.ts [streams]
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { type Child, HOST_KEY, loopLagP99Ms, rssMb, startHost, startMock } from './processes.js';

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

export interface ScaleResult {
  streams: number;
  failed: number;
  /** The first failure's message, when any. */
  firstError?: string;
  seconds: number;
  rampMs: number;
  rampLoopLagP99Ms: number;
  loopLagP99Ms: number;
  /** Highest RSS of the host seen while the streams were open, MB. */
  peakRssMb: number;
}

/**
 * Opens `count` streams through the host, spread over `rampMs` (a real fleet does not arrive in
 * one millisecond), holds them all open, and reads the host's event loop lag p99 twice: over the
 * ramp, and over the hold, from the moment the last stream got its headers until all ended.
 */
export async function scaleRun(host: Child, count: number, rampMs = 2000, words = 40): Promise<ScaleResult> {
  const agent = new Agent({ connections: count + 10, keepAliveTimeout: 10_000 });
  // One event per word at 150 ms an event: 40 words last about 6 s, well past a 2 s ramp.
  const content = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
  const body = JSON.stringify({ model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content }] });
  await loopLagP99Ms(host.url); // resets the host's lag histogram
  let open = 0;
  let rampLag = NaN;
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, await rssMb(host.pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let allOpen: () => void;
  const opened = new Promise<void>((resolve) => (allOpen = resolve));
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * rampMs) / count));
      try {
        const res = await request(`${host.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${HOST_KEY}` },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200 || !text.includes('[DONE]')) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
      } finally {
        if (++open === count) {
          rampLag = await loopLagP99Ms(host.url);
          allOpen();
        }
      }
    }),
  );
  await opened;
  const seconds = (performance.now() - started) / 1000;
  const lagP99 = await loopLagP99Ms(host.url);
  sampling = false;
  await sampler;
  await agent.close();
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  return {
    streams: count,
    failed: failures.length,
    ...(failures.length > 0 ? { firstError: String((failures[0]!.reason as Error).message ?? failures[0]!.reason) } : {}),
    seconds,
    rampMs,
    rampLoopLagP99Ms: rampLag,
    loopLagP99Ms: lagP99,
    peakRssMb: peakRss,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 10_000);
  process.stderr.write(`open-files limit ${raiseFdLimit()}\n`);
  const mock = await startMock(150);
  const host = await startHost(mock.url, 18422);
  try {
    await scaleRun(host, count / 5);
    console.log(await scaleRun(host, count, Number(process.env.SCALE_RAMP_MS ?? 2000), Number(process.env.SCALE_WORDS ?? 40)));
  } finally {
    await Promise.all([host.stop(), mock.stop()]);
  }
}
