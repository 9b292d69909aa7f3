/**
 * The measurements of the bench: sequential latency over one keep-alive connection
 * (microsecond precision), throughput under 32 connections (autocannon) with the CPU time the
 * server process spent per request, and the floor of a plugin hop on this machine (a bare
 * piscina round trip). Every answer is read to its end, streams included.
 */
import { readFile, readdir } from 'node:fs/promises';
import autocannon from 'autocannon';
import { Piscina } from 'piscina';
import { Pool } from 'undici';

export interface Endpoint {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

export interface Latency {
  /** Microseconds. */
  p50: number;
  p99: number;
  mean: number;
}

/** One keep-alive connection to `target` that times requests sent one after another. */
export class SequentialClient {
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;

  constructor(readonly target: Endpoint) {
    this.#pool = new Pool(target.origin, { connections: 1, keepAliveTimeout: 60_000 });
    this.#headers = { 'content-type': 'application/json', ...target.headers };
  }

  /** `count` request durations (µs), after `warmup` unmeasured requests; each answer read to its end. */
  async run(body: string, count: number, warmup = 0): Promise<number[]> {
    const samples: number[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const started = process.hrtime.bigint();
      const res = await this.#pool.request({ path: this.target.path, method: 'POST', headers: this.#headers, body });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${this.target.origin}${this.target.path} answered ${res.statusCode}`);
      if (i >= warmup) samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    return samples;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** `count` sequential request durations (µs) per endpoint, asked in turns of `turn`, after `warmup` unmeasured ones each. */
export async function inTurns(endpoints: readonly Endpoint[], bodies: readonly string[], count: number, turn: number, warmup: number): Promise<number[][]> {
  const clients = endpoints.map((endpoint) => new SequentialClient(endpoint));
  try {
    const samples = clients.map((): number[] => []);
    for (const [k, client] of clients.entries()) await client.run(bodies[k]!, 0, warmup);
    for (let done = 0; done < count; done += turn) {
      for (const [k, client] of clients.entries()) samples[k]!.push(...(await client.run(bodies[k]!, Math.min(turn, count - done))));
    }
    return samples;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** `count` request durations (µs), one after another on one connection, after `warmup` unmeasured ones. */
export async function sequential(target: Endpoint, body: string, count: number, warmup: number): Promise<number[]> {
  const client = new SequentialClient(target);
  try {
    return await client.run(body, count, warmup);
  } finally {
    await client.close();
  }
}

/** The middle value (the upper one of an even count). */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** p50, p99 and mean of samples (µs). */
export function summarise(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

export interface Throughput {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU time (user + system) the server process spent per request, µs. */
  cpuUs?: number;
}

/**
 * CPU time (user + system) of a process and its child processes so far, ms (from /proc, 10 ms
 * ticks): `serve --workers` serves from children of the process the bench started.
 */
async function cpuMs(pid: number): Promise<number> {
  let total = statCpuMs(await readFile(`/proc/${pid}/stat`, 'utf8'));
  for (const child of await childrenOf(pid)) total += await cpuMs(child).catch(() => 0);
  return total;
}

/** User + system CPU ms in the text of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` (10 ms ticks). */
export function statCpuMs(stat: string): number {
  const fields = stat.split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((l) => l.split(' ').filter(Boolean).map(Number));
}

/** `connections` connections of `body` to `target` for `seconds`: autocannon's result. */
function load(target: Endpoint, body: string, connections: number, seconds: number) {
  return autocannon({
    url: `${target.origin}${target.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    connections,
    duration: seconds,
  });
}

/**
 * Unmeasured load before a measurement: a process that sat idle spends its first second or so
 * under load regrowing its young generation and re-optimising code that closing sockets
 * deoptimised (bench/NOTES.md, eleventh session), and serves its next sequential requests slower
 * than one that has just been busy (thirteenth session), a cost of the pause, not of serving a
 * request.
 */
export async function settle(target: Endpoint, body: string, connections: number, seconds: number): Promise<void> {
  if (seconds > 0) await load(target, body, connections, seconds);
}

/**
 * Requests per second with `connections` connections for `seconds`, and the CPU that `serverPid`
 * spent on them, after `settleSeconds` of the same load ({@link settle}).
 */
export async function throughput(target: Endpoint, body: string, connections: number, seconds: number, serverPid: number, settleSeconds = 0): Promise<Throughput> {
  await settle(target, body, connections, settleSeconds);
  const cpuBefore = await cpuMs(serverPid);
  const result = await load(target, body, connections, seconds);
  const cpu = (await cpuMs(serverPid)) - cpuBefore;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuUs: result.requests.total > 0 ? (cpu * 1000) / result.requests.total : 0,
  };
}

/** The floor of a plugin hop: a piscina round trip to a worker that answers at once. */
export interface HopFloor {
  /** p50 µs, calls back to back. */
  hot: number;
  /** p50 µs, each call after `idleMs` of idleness, as between the requests of a sequential run. */
  idle: number;
  idleMs: number;
}

/**
 * Prices a bare round trip on this machine with the host's pool settings and `params` (a router
 * request) as payload: back to back, and after `idleMs` idle like a router between requests.
 */
export async function hopFloor(params: unknown, count = 500, idleMs = 1): Promise<HopFloor> {
  const pool = new Piscina({
    filename: new URL('./floor-worker.mjs', import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Infinity,
    atomics: 'disabled',
    concurrentTasksPerWorker: 32,
  });
  const task = { request: { jsonrpc: '2.0', id: 1, method: 'model.route', params } };
  const time = async (gapMs: number) => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      const started = process.hrtime.bigint();
      await pool.run(task);
      samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    return summarise(samples).p50;
  };
  try {
    await time(0);
    return { hot: await time(0), idle: await time(idleMs), idleMs };
  } finally {
    await pool.destroy();
  }
}
