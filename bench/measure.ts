/**
 * The two measurements of the bench: sequential latency over one keep-alive connection
 * (microsecond precision) and throughput under 32 connections (autocannon). Both read every
 * answer to its end, streams included.
 */
import autocannon from 'autocannon';
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

/** `count` requests one after another on one connection, after `warmup` unmeasured ones. */
export async function sequential(target: Endpoint, body: string, count: number, warmup: number): Promise<Latency> {
  const pool = new Pool(target.origin, { connections: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', ...target.headers };
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + count; i++) {
      const started = process.hrtime.bigint();
      const res = await pool.request({ path: target.path, method: 'POST', headers, body });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${target.origin}${target.path} answered ${res.statusCode}`);
      if (i >= warmup) samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  } finally {
    await pool.close();
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export interface Throughput {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Requests per second with `connections` connections for `seconds`. */
export async function throughput(target: Endpoint, body: string, connections: number, seconds: number): Promise<Throughput> {
  const result = await autocannon({
    url: `${target.origin}${target.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    connections,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
